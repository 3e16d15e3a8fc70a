#pragma once

#include "core/models/registry.h"
#include "core/search/sweep.h"
#include "ui/job_dialog.h"

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace ranklab::ui {

class BasisSpecEditor;
class ScheduleEditor;

/// The job dialog of the sensitivity sweep (paper A §3.2, §4.4): the layers to sweep one by one (the
/// checked ones, or all convolutions), or the two groups "light" (1–5) and "heavy" (16–20) of Fig. 5;
/// the schedule, epochs with basis convolutions, the basis options, parallel workers, and where the runs
/// train (this computer or a Slurm cluster).
class SweepDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SweepDialog)
public:
    SweepDialog(const TrainParams& base, const ModelInfo& info, const QString& layers, QWidget* parent = nullptr);
    search::SweepParams params() const;
    QString validate() const override;

private:
    TrainParams base_;
    ModelInfo info_;
    QLineEdit* layers_;
    QCheckBox* groups_;
    ScheduleEditor* schedule_;
    QSpinBox* skip_;
    BasisSpecEditor* basis_;
    QSpinBox* workers_;
    QSpinBox* seeds_;
    QSpinBox* valSubset_;
};

} // namespace ranklab::ui
