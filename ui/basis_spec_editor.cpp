#include "ui/basis_spec_editor.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>

#include "core/error.h"
#include "ui/param_options.h"

namespace ranklab::ui {

BasisSpecEditor::BasisSpecEditor(QWidget* parent) : QWidget(parent)
{
    size_ = new QLineEdit(QStringLiteral("0.5"), this);
    size_->setToolTip(tr("Basis size: a fraction of C_out (\"0.5\") or a filter count (\"16\")"));
    beta_ = new QDoubleSpinBox(this);
    beta_->setRange(0, 1);
    beta_->setSingleStep(0.05);
    beta_->setDecimals(3);
    beta_->setToolTip(tr("Pair form: fraction of outputs that sum two basis maps"));
    form_ = new QComboBox(this);
    form_->addItems(basis::formNames());
    form_->setCurrentText(basis::formName(basis::BasisForm::Pair));
    init_ = new QComboBox(this);
    init_->addItems(basis::initNames());
    init_->setCurrentText(basis::initName(basis::BasisInit::Qr));
    tagOption(size_, QStringLiteral("size"));
    tagOption(beta_, QStringLiteral("beta"));
    tagOption(form_, QStringLiteral("form"));
    tagOption(init_, QStringLiteral("init"));
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Basis si&ze"), size_);
    form->addRow(tr("β (pairs)"), beta_);
    form->addRow(tr("Form"), form_);
    form->addRow(tr("Init"), init_);
    connect(size_, &QLineEdit::textChanged, this, &BasisSpecEditor::edited);
}

basis::BasisSpec BasisSpecEditor::spec() const
{
    basis::BasisSpec s;
    bool ok = false;
    s.size = size_->text().trimmed().toDouble(&ok);
    if (!ok)
        s.size = -1;
    s.beta = beta_->value();
    s.form = basis::parseForm(form_->currentText());
    s.init = basis::parseInit(init_->currentText());
    return s;
}

QString BasisSpecEditor::validate(const ModelInfo& info, const QString& selection) const
{
    if (selection.trimmed().isEmpty())
        return tr("Check at least one convolution in the layer table or name one here.");
    try {
        basis::parseSize(size_->text().trimmed());
        const basis::BasisSpec s = spec();
        for (int i : resolveLayerSelection(info, selection, QStringLiteral("Conv2d"))) {
            const LayerInfo& l = info.layers[i - 1];
            if (l.type != QLatin1String("Conv2d"))
                return tr("Layer %1 (%2) is a %3, not a convolution; only Conv2d layers take basis convolutions.")
                    .arg(l.index)
                    .arg(l.name, l.type);
            basis::validateBasisSpec(s, l.weightShape.value(0), l.name);
        }
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace ranklab::ui
