#include "core/jobs/sweep_job.h"

namespace ranklab {

SweepJob::SweepJob(search::SweepParams params, QString runDir, QObject* parent)
    : Job(params.groups.isEmpty() ? QStringLiteral("sweep") : QStringLiteral("groups"), params.train.model.name,
          std::move(runDir), parent),
      params_(std::move(params))
{
}

QJsonObject SweepJob::run()
{
    return search::sensitivityJson(search::runSweep(params_, runDir(), forwardingCallbacks(), cancelFlag()));
}

Job* SweepJob::rerun(const QString& runDir) const
{
    return new SweepJob(params_, runDir);
}

} // namespace ranklab
