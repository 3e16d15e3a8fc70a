#include "core/jobs/ron_build_job.h"

namespace ranklab {

RonBuildJob::RonBuildJob(ron::RonParams params, QString runDir, QObject* parent)
    : Job(QStringLiteral("ron"), params.model.name, std::move(runDir), parent), params_(std::move(params))
{
}

QJsonObject RonBuildJob::run()
{
    return toJson(ron::runRon(params_, runDir(), forwardingCallbacks(), cancelFlag()));
}

Job* RonBuildJob::rerun(const QString& runDir) const
{
    return new RonBuildJob(params_, runDir);
}

} // namespace ranklab
