#pragma once

#include "core/train/train_params.h"
#include "ui/job_dialog.h"

namespace ranklab::ui {

class ScheduleEditor;

/// The job dialog of a plain training run (the baseline of paper A's comparisons): the schedule only;
/// model, data and starting weights come from the model panel.
class TrainDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainDialog)
public:
    explicit TrainDialog(const TrainParams& base, QWidget* parent = nullptr);
    TrainParams params() const;
    QString validate() const override { return {}; }

private:
    TrainParams base_;
    ScheduleEditor* schedule_;
};

} // namespace ranklab::ui
