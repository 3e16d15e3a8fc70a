#pragma once

#include "core/models/registry.h"
#include "core/ron/ron_job.h"
#include "ui/job_dialog.h"

class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace ranklab::ui {

/// The job dialog of a Reduced-Order Network build (paper B Algorithm 1): the contiguous layer range
/// "K1-K2" (pre-filled from the first to the last checked layer), the rank rule ("vbmf", "vbmf:0.8",
/// "factor:10" or a number), rows per layer P = ratio·R, samples, and fine-tuning epochs. Needs trained
/// weights (the teacher).
class RonDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RonDialog)
public:
    RonDialog(const TrainParams& base, const ModelInfo& info, const QVector<int>& checked, QWidget* parent = nullptr);
    /// The parameters as shown; throws ranklab::Error for an unreadable rank rule (validate() says so first).
    ron::RonParams params() const;
    QString validate() const override;

private:
    TrainParams base_;
    ModelInfo info_;
    QLineEdit* layers_;
    QLineEdit* rank_;
    QDoubleSpinBox* rows_;
    QSpinBox* samples_;
    QSpinBox* finetune_;
    QDoubleSpinBox* finetuneLr_;
};

} // namespace ranklab::ui
