#pragma once

#include "core/basis/skip_training.h"
#include "core/models/registry.h"
#include "ui/job_dialog.h"

class QLineEdit;
class QSpinBox;

namespace ranklab::ui {

class BasisSpecEditor;
class ScheduleEditor;

/// The job dialog of basis-convolution training with skip (paper A §4.2): layers (pre-filled with the
/// checked ones), the schedule, the skip epoch and the basis options. Model, data and starting weights
/// come from the model panel.
class BasisTrainDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BasisTrainDialog)
public:
    /// `base` carries the model, data and weights; `info` is the model's registry (for validation).
    BasisTrainDialog(const TrainParams& base, const ModelInfo& info, const QString& layers, QWidget* parent = nullptr);

    /// The parameters as the form shows them.
    basis::BasisTrainParams params() const;
    /// Skip beyond the last epoch, or BasisSpecEditor::validate's sentence; empty when the job can start.
    QString validate() const override;

private:
    TrainParams base_;
    ModelInfo info_;
    QLineEdit* layers_;
    ScheduleEditor* schedule_;
    QSpinBox* skip_;
    BasisSpecEditor* basis_;
};

} // namespace ranklab::ui
