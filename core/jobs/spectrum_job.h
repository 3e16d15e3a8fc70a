#pragma once

#include "core/jobs/job.h"
#include "core/ron/ron_job.h"

namespace ranklab {

/// Activation spectra of chosen layers (paper B §3, Fig. 1; `ranklab-cli spectrum`) as a background job:
/// ron::runSpectrum writes spectrum.json/.csv into the run folder.
class SpectrumJob final : public Job {
    Q_OBJECT
public:
    SpectrumJob(ron::SpectrumParams params, QString runDir, QObject* parent = nullptr);
    QJsonObject run() override;
    Job* rerun(const QString& runDir) const override;
    const ron::SpectrumParams& params() const { return params_; }

private:
    ron::SpectrumParams params_;
};

} // namespace ranklab
