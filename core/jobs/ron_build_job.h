#pragma once

#include "core/jobs/job.h"
#include "core/ron/ron_job.h"

namespace ranklab {

/// A Reduced-Order Network build (paper B Algorithm 1, optional fine-tuning; `ranklab-cli ron`) as a
/// background job: ron::runRon writes the student and report.json into the run folder.
class RonBuildJob final : public Job {
    Q_OBJECT
public:
    RonBuildJob(ron::RonParams params, QString runDir, QObject* parent = nullptr);
    QJsonObject run() override;
    Job* rerun(const QString& runDir) const override;
    const ron::RonParams& params() const { return params_; }

private:
    ron::RonParams params_;
};

} // namespace ranklab
