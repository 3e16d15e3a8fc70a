#pragma once

#include "core/basis/skip_training.h"
#include "core/jobs/job.h"

namespace ranklab {

/// Basis-convolution training with skip (paper A §4.2, `ranklab-cli basis-train`) as a background job.
/// Its run folder is basis::runBasisTraining's: metrics.csv rows carry phase "basis" then "full".
/// Resumes when its folder already holds an interrupted run with the same parameters.
class BasisTrainJob final : public Job {
    Q_OBJECT
public:
    BasisTrainJob(basis::BasisTrainParams params, QString runDir, QObject* parent = nullptr);
    QJsonObject run() override;
    Job* rerun(const QString& runDir) const override;
    const basis::BasisTrainParams& params() const { return params_; }

private:
    basis::BasisTrainParams params_;
};

} // namespace ranklab
