#pragma once

#include "core/models/registry.h"
#include "core/ron/ron_job.h"
#include "ui/job_dialog.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace ranklab::ui {

/// The job dialog of activation spectra (paper B §3, Fig. 1): layers (the checked ones, or all), the
/// number of training samples streamed and the sketch that summarises them. Needs trained weights.
class SpectrumDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SpectrumDialog)
public:
    SpectrumDialog(const TrainParams& base, const ModelInfo& info, const QString& layers, QWidget* parent = nullptr);
    ron::SpectrumParams params() const;
    QString validate() const override;

private:
    TrainParams base_;
    ModelInfo info_;
    QLineEdit* layers_;
    QSpinBox* samples_;
    QComboBox* method_;
    QSpinBox* sketch_;
};

} // namespace ranklab::ui
