#include "ui/basis_train_dialog.h"

#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include "ui/basis_spec_editor.h"
#include "ui/schedule_editor.h"
#include "ui/param_options.h"

namespace ranklab::ui {

BasisTrainDialog::BasisTrainDialog(const TrainParams& base, const ModelInfo& info, const QString& layers, QWidget* parent)
    : JobDialog(tr("Basis training with skip"), tr("%1 on %2").arg(base.model.name, base.data.name), parent),
      base_(base), info_(info)
{
    layers_ = new QLineEdit(layers, this);
    layers_->setToolTip(tr("Registry indices and ranges (\"4,15,16-20\"), qualified names, or \"all\""));
    schedule_ = new ScheduleEditor(base, this);
    skip_ = new QSpinBox(this);
    skip_->setRange(1, 1000);
    skip_->setValue(std::max(1, base.epochs / 2));
    skip_->setToolTip(tr("Epochs trained with basis convolutions before they are composed back (paper A §4.2)"));
    basis_ = new BasisSpecEditor(this);
    tagOption(layers_, QStringLiteral("layers"));
    tagOption(skip_, QStringLiteral("skip"));
    form()->addRow(tr("&Layers"), layers_);
    form()->addRow(schedule_);
    form()->addRow(tr("&Skip after epoch"), skip_);
    form()->addRow(basis_);
    addRunOn();
    connect(layers_, &QLineEdit::textChanged, this, &BasisTrainDialog::clearError);
    connect(basis_, &BasisSpecEditor::edited, this, &BasisTrainDialog::clearError);
}

basis::BasisTrainParams BasisTrainDialog::params() const
{
    basis::BasisTrainParams p;
    p.train = schedule_->apply(base_);
    p.layers = layers_->text().trimmed();
    p.skipEpochs = skip_->value();
    p.basis = basis_->spec();
    return p;
}

QString BasisTrainDialog::validate() const
{
    const basis::BasisTrainParams p = params();
    if (p.skipEpochs > p.train.epochs)
        return tr("The skip epoch (%1) must not exceed the number of epochs (%2).").arg(p.skipEpochs).arg(p.train.epochs);
    return basis_->validate(info_, p.layers);
}

} // namespace ranklab::ui
