#include "ui/spectrum_dialog.h"

#include "ui/schema_widgets.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QThread>

#include "core/error.h"
#include "ui/param_options.h"

namespace ranklab::ui {

SpectrumDialog::SpectrumDialog(const TrainParams& base, const ModelInfo& info, const QString& layers, QWidget* parent)
    : JobDialog(tr("Activation spectra"), tr("%1 on %2").arg(base.model.name, base.data.name), parent), base_(base), info_(info)
{
    layers_ = new QLineEdit(layers.isEmpty() ? QStringLiteral("all") : layers, this);
    layers_->setToolTip(tr("Layers or residual blocks whose outputs are analysed: indices, names or \"all\""));
    samples_ = new QSpinBox(this);
    declareSpin(samples_, QStringLiteral("spectrum"), QStringLiteral("samples"));
    samples_->setToolTip(tr("Training samples streamed through the network"));
    method_ = new QComboBox(this);
    for (auto m : {ron::SketchMethod::Auto, ron::SketchMethod::Gram, ron::SketchMethod::FrequentDirections, ron::SketchMethod::Randomized})
        method_->addItem(ron::sketchMethodName(m));
    sketch_ = new QSpinBox(this);
    declareSpin(sketch_, QStringLiteral("spectrum"), QStringLiteral("sketch-size"));
    sketch_->setToolTip(tr("Sketch size: ℓ for Frequent Directions, k for the randomized range finder"));
    tagOption(layers_, QStringLiteral("layers"));
    tagOption(samples_, QStringLiteral("samples"));
    tagOption(method_, QStringLiteral("method"));
    tagOption(sketch_, QStringLiteral("sketch-size"));
    form()->addRow(tr("&Layers"), layers_);
    form()->addRow(tr("Samples"), samples_);
    form()->addRow(tr("Sketch"), method_);
    form()->addRow(tr("Sketch size"), sketch_);
    addRunOn();
    connect(layers_, &QLineEdit::textChanged, this, &SpectrumDialog::clearError);
}

ron::SpectrumParams SpectrumDialog::params() const
{
    ron::SpectrumParams p;
    p.model = base_.model;
    p.data = base_.data;
    p.weights = base_.initWeights;
    p.layers = layers_->text().trimmed();
    p.samples = samples_->value();
    p.batchSize = base_.batchSize;
    p.method = ron::parseSketchMethod(method_->currentText());
    p.sketchSize = sketch_->value();
    p.threads = base_.threads;
    return p;
}

QString SpectrumDialog::validate() const
{
    const ron::SpectrumParams p = params();
    if (p.weights.isEmpty())
        return tr("Open the trained weights to analyse first (File ▸ Open weights); spectra of random weights say nothing.");
    if (p.layers.isEmpty())
        return tr("Name at least one layer, or \"all\".");
    return {};
}

} // namespace ranklab::ui
