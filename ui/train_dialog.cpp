#include "ui/train_dialog.h"

#include <QFormLayout>

#include "ui/schedule_editor.h"

namespace ranklab::ui {

TrainDialog::TrainDialog(const TrainParams& base, QWidget* parent)
    : JobDialog(tr("Plain training"), tr("%1 on %2: the baseline, no basis convolutions").arg(base.model.name, base.data.name), parent),
      base_(base)
{
    schedule_ = new ScheduleEditor(base, this);
    form()->addRow(schedule_);
    addRunOn();
}

TrainParams TrainDialog::params() const
{
    return schedule_->apply(base_);
}

} // namespace ranklab::ui
