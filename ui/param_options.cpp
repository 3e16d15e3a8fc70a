#include "ui/param_options.h"

#include "core/jobs/common_params.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QVariant>

namespace ranklab::ui {

namespace {
const char* const kProperty = "ranklabOption";

bool toInt(const QString& text, int lo, int hi, int* out)
{
    bool ok = false;
    const int v = text.trimmed().toInt(&ok);
    if (!ok || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}
} // namespace

void tagOption(QWidget* widget, const QString& option)
{
    widget->setProperty(kProperty, option);
}

QStringList applyWidgetOptions(QWidget* root, const QMap<QString, QString>& options, QStringList* problems)
{
    QStringList used;
    const QList<QWidget*> widgets = root->findChildren<QWidget*>();
    for (QWidget* w : widgets) {
        const QString name = w->property(kProperty).toString();
        if (name.isEmpty() || !options.contains(name))
            continue;
        const QString value = options.value(name).trimmed();
        bool ok = true;
        if (auto* line = qobject_cast<QLineEdit*>(w)) {
            line->setText(value);
        } else if (auto* spin = qobject_cast<QSpinBox*>(w)) {
            int v = 0;
            ok = toInt(value, spin->minimum(), spin->maximum(), &v);
            if (ok)
                spin->setValue(v);
        } else if (auto* dspin = qobject_cast<QDoubleSpinBox*>(w)) {
            const double v = value.toDouble(&ok);
            ok = ok && v >= dspin->minimum() && v <= dspin->maximum();
            if (ok)
                dspin->setValue(v);
        } else if (auto* combo = qobject_cast<QComboBox*>(w)) {
            const int i = combo->findText(value, Qt::MatchFixedString);
            ok = i >= 0;
            if (ok)
                combo->setCurrentIndex(i);
        }
        if (ok)
            used << name;
        else if (problems)
            *problems << QStringLiteral("--%1 %2 does not fit this form; the form keeps its value.").arg(name, value);
    }
    return used;
}

QStringList applyModelOptions(const QMap<QString, QString>& options, ModelSpec* model, DataSpec* data, QStringList* problems)
{
    QStringList used;
    auto integer = [&](const QString& name, int lo, int hi, int* out) {
        if (!options.contains(name))
            return;
        if (toInt(options.value(name), lo, hi, out))
            used << name;
        else if (problems)
            *problems << QStringLiteral("--%1 must be an integer in [%2, %3], not '%4'.").arg(name).arg(lo).arg(hi).arg(options.value(name));
    };
    if (options.contains(QStringLiteral("model"))) {
        const QString name = options.value(QStringLiteral("model")).trimmed();
        if (zooModelNames().contains(name)) {
            *model = defaultModelSpec(name);
            used << QStringLiteral("model");
        } else if (problems) {
            *problems << QStringLiteral("--model %1 is not a zoo model (%2).").arg(name, zooModelNames().join(QStringLiteral(", ")));
        }
    }
    if (options.contains(QStringLiteral("width"))) {
        bool ok = false;
        const double w = options.value(QStringLiteral("width")).toDouble(&ok);
        if (ok && w > 0 && w <= 16) {
            model->width = w;
            used << QStringLiteral("width");
        } else if (problems) {
            *problems << QStringLiteral("--width must be a positive number, not '%1'.").arg(options.value(QStringLiteral("width")));
        }
    }
    integer(QStringLiteral("in-channels"), 1, 64, &model->inChannels);
    integer(QStringLiteral("input-size"), 8, 4096, &model->inputSize);
    integer(QStringLiteral("num-classes"), 2, 100000, &model->numClasses);
    if (options.contains(QStringLiteral("dataset"))) {
        data->name = options.value(QStringLiteral("dataset")).trimmed();
        used << QStringLiteral("dataset");
    }
    if (options.contains(QStringLiteral("data-dir"))) {
        data->dir = options.value(QStringLiteral("data-dir")).trimmed();
        used << QStringLiteral("data-dir");
    }
    integer(QStringLiteral("subset"), 0, 1 << 30, &data->subset);
    integer(QStringLiteral("test-subset"), 0, 1 << 30, &data->testSubset);
    integer(QStringLiteral("resize"), 0, 4096, &data->resize);
    integer(QStringLiteral("crop-padding"), 0, 256, &data->cropPadding);
    if (options.contains(QStringLiteral("augment"))) {
        const QString a = options.value(QStringLiteral("augment")).trimmed();
        if (a == QLatin1String("on") || a == QLatin1String("off")) {
            data->augment = a == QLatin1String("on");
            used << QStringLiteral("augment");
        } else if (problems) {
            *problems << QStringLiteral("--augment must be on or off, not '%1'.").arg(a);
        }
    }
    // As in the CLI: the input follows the data set unless the file says otherwise; 3 channels on grayscale
    // data replicate it, another input size resizes the images.
    const int nativeChannels = datasetChannels(data->name), nativeSize = datasetImageSize(data->name);
    if (nativeChannels > 0) {
        if (!used.contains(QStringLiteral("in-channels")))
            model->inChannels = nativeChannels;
        else if (model->inChannels == 3 && nativeChannels == 1)
            data->channels = 3;
        if (!used.contains(QStringLiteral("input-size")))
            model->inputSize = data->resize > 0 ? data->resize : nativeSize;
        else if (model->inputSize != nativeSize && data->resize == 0)
            data->resize = model->inputSize;
    }
    return used;
}

} // namespace ranklab::ui
