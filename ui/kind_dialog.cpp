#include "ui/kind_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

#include "core/error.h"
#include "ui/run_on_box.h"

namespace ranklab::ui {

namespace {
QString groupTitle(const QString& group)
{
    if (group == QLatin1String("model"))
        return QObject::tr("Model");
    if (group == QLatin1String("data"))
        return QObject::tr("Data");
    if (group == QLatin1String("training"))
        return QObject::tr("Training");
    if (group == QLatin1String("output"))
        return QObject::tr("Output");
    return {};
}
} // namespace

Params prefilledParams(const JobKind& kind, const QMap<QString, QString>& values)
{
    Params p = kind.params();
    for (auto it = values.begin(); it != values.end(); ++it)
        if (kind.schema.find(it.key()) && !it.value().isEmpty())
            p.set(it.key(), it.value());
    return p;
}

KindDialog::KindDialog(const JobKind& kind, const Params& prefill, QWidget* parent)
    : JobDialog(kind.title, kind.help, parent), kind_(kind)
{
    setObjectName(QStringLiteral("kind-dialog-") + kind.id);
    QString lastGroup = QStringLiteral("\x01");
    for (const ParamDecl& d : kind.schema.decls()) {
        if (d.presentation || d.name == kind.runFolderParam || d.name == kind.resumeParam)
            continue;
        if (d.group == QLatin1String("cluster") && kind.schema.find(QStringLiteral("executor")))
            continue; // RunOnBox below
        if (d.group != lastGroup) {
            lastGroup = d.group;
            const QString title = groupTitle(d.group);
            if (!title.isEmpty()) {
                auto* heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title), this);
                form()->addRow(heading);
            }
        }
        const QString label = d.name + (d.required ? QStringLiteral(" *") : QString());
        QWidget* editor = nullptr;
        QWidget* row = nullptr;
        if (d.type == ParamType::Flag) {
            auto* box = new QCheckBox(this);
            box->setChecked(prefill.isSet(d.name));
            connect(box, &QCheckBox::toggled, this, [this] { clearError(); });
            editor = row = box;
        } else if (d.type == ParamType::Choice) {
            auto* combo = new QComboBox(this);
            if (d.defaultValue.isEmpty() && !d.required)
                combo->addItem(QString()); // "not given": the kind's own default applies
            combo->addItems(d.choices);
            const QString v = prefill.value(d.name);
            combo->setCurrentIndex(std::max(0, combo->findText(v)));
            connect(combo, &QComboBox::currentIndexChanged, this, [this] { clearError(); });
            editor = row = combo;
        } else {
            auto* line = new QLineEdit(this);
            line->setText(prefill.isSet(d.name) ? prefill.value(d.name) : QString());
            line->setPlaceholderText(d.defaultValue.isEmpty() ? d.valueName : d.defaultValue);
            if (!d.defaultValue.isEmpty() && !prefill.isSet(d.name))
                line->setText(d.defaultValue);
            connect(line, &QLineEdit::textEdited, this, [this] { clearError(); });
            editor = row = line;
            if (d.type == ParamType::File || d.type == ParamType::SaveFile || d.type == ParamType::Dir) {
                auto* box = new QWidget(this);
                auto* h = new QHBoxLayout(box);
                h->setContentsMargins(0, 0, 0, 0);
                h->addWidget(line, 1);
                auto* browse = new QPushButton(tr("Browse…"), box);
                h->addWidget(browse);
                const ParamType type = d.type;
                connect(browse, &QPushButton::clicked, this, [this, line, type] {
                    QString path;
                    if (type == ParamType::File)
                        path = QFileDialog::getOpenFileName(this, tr("Choose a file"), line->text());
                    else if (type == ParamType::SaveFile)
                        path = QFileDialog::getSaveFileName(this, tr("Save as"), line->text());
                    else
                        path = QFileDialog::getExistingDirectory(this, tr("Choose a folder"), line->text());
                    if (!path.isEmpty())
                        line->setText(path);
                });
                row = box;
            }
        }
        editor->setObjectName(d.name);
        editor->setToolTip(d.help);
        row->setToolTip(d.help);
        editors_.insert(d.name, editor);
        form()->addRow(label, row);
    }
    if (kind.schema.find(QStringLiteral("executor"))) {
        addRunOn();
        runOn()->load(prefill);
    }
}

void KindDialog::setValue(const QString& name, const QString& value)
{
    QWidget* w = editors_.value(name);
    if (auto* box = qobject_cast<QCheckBox*>(w))
        box->setChecked(!value.isEmpty() && value != QLatin1String("0"));
    else if (auto* combo = qobject_cast<QComboBox*>(w))
        combo->setCurrentIndex(std::max(0, combo->findText(value)));
    else if (auto* line = qobject_cast<QLineEdit*>(w))
        line->setText(value);
}

Params KindDialog::params() const
{
    Params p = kind_.params();
    for (auto it = editors_.begin(); it != editors_.end(); ++it) {
        if (auto* box = qobject_cast<QCheckBox*>(it.value())) {
            if (box->isChecked())
                p.set(it.key(), QStringLiteral("1"));
        } else if (auto* combo = qobject_cast<QComboBox*>(it.value())) {
            if (!combo->currentText().isEmpty())
                p.set(it.key(), combo->currentText());
        } else if (auto* line = qobject_cast<QLineEdit*>(it.value())) {
            const QString text = line->text().trimmed();
            if (text.isEmpty())
                continue;
            const ParamDecl* d = kind_.schema.find(it.key());
            if (d->type == ParamType::Repeated) // one value per line or ';'-separated in the form
                p.setList(it.key(), text.split(QRegularExpression(QStringLiteral("\\s*;\\s*")), Qt::SkipEmptyParts));
            else
                p.set(it.key(), text);
        }
    }
    return withRunOn(p);
}

QString KindDialog::validate() const
{
    try {
        Params p = params();
        if (!kind_.runFolderParam.isEmpty())
            p.set(kind_.runFolderParam, QStringLiteral("run-folder")); // the workspace gives it
        p.validate();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace ranklab::ui
