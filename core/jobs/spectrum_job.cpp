#include "core/jobs/spectrum_job.h"

namespace ranklab {

SpectrumJob::SpectrumJob(ron::SpectrumParams params, QString runDir, QObject* parent)
    : Job(QStringLiteral("spectrum"), params.model.name, std::move(runDir), parent), params_(std::move(params))
{
}

QJsonObject SpectrumJob::run()
{
    return toJson(ron::runSpectrum(params_, runDir(), forwardingCallbacks(), cancelFlag()));
}

Job* SpectrumJob::rerun(const QString& runDir) const
{
    return new SpectrumJob(params_, runDir);
}

} // namespace ranklab
