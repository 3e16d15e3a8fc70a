#pragma once

#include "core/jobs/job.h"
#include "core/search/sweep.h"

namespace ranklab {

/// The sensitivity sweep of paper A §3.2/§4.4 (`ranklab-cli sweep`) as a background job: a baseline and
/// one basis-train run per layer (or per group), written into its run folder by search::runSweep, which
/// also makes the folder resumable. Progress covers the whole sweep; cancel stops every run at its next batch.
class SweepJob final : public Job {
    Q_OBJECT
public:
    SweepJob(search::SweepParams params, QString runDir, QObject* parent = nullptr);
    QJsonObject run() override;
    Job* rerun(const QString& runDir) const override;
    const search::SweepParams& params() const { return params_; }

private:
    search::SweepParams params_;
};

} // namespace ranklab
