#include "ui/schedule_editor.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QSpinBox>
#include "ui/param_options.h"

namespace ranklab::ui {

ScheduleEditor::ScheduleEditor(const TrainParams& base, QWidget* parent) : QWidget(parent)
{
    epochs_ = new QSpinBox(this);
    epochs_->setRange(1, 1000);
    epochs_->setValue(std::max(1, base.epochs));
    lr_ = new QDoubleSpinBox(this);
    lr_->setDecimals(4);
    lr_->setRange(0.0001, 10);
    lr_->setValue(base.lr);
    lr_->setToolTip(tr("Initial learning rate (SGD, momentum 0.9, cosine schedule)"));
    batch_ = new QSpinBox(this);
    batch_->setRange(1, 4096);
    batch_->setValue(base.batchSize);
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(int(base.seed));
    tagOption(epochs_, QStringLiteral("epochs"));
    tagOption(lr_, QStringLiteral("lr"));
    tagOption(batch_, QStringLiteral("batch-size"));
    tagOption(seed_, QStringLiteral("seed"));
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("&Epochs"), epochs_);
    form->addRow(tr("Learning rate"), lr_);
    form->addRow(tr("Batch size"), batch_);
    form->addRow(tr("Seed"), seed_);
    connect(epochs_, &QSpinBox::valueChanged, this, &ScheduleEditor::epochsChanged);
}

TrainParams ScheduleEditor::apply(TrainParams base) const
{
    base.epochs = epochs_->value();
    base.lr = lr_->value();
    base.batchSize = batch_->value();
    base.seed = quint64(seed_->value());
    return base;
}

int ScheduleEditor::epochs() const
{
    return epochs_->value();
}

} // namespace ranklab::ui
