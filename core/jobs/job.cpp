#include "core/jobs/job.h"

#include <QDir>
#include <QFileInfo>

#include "core/train/trainer.h"

namespace ranklab {

Job::Job(QString kind, QString title, QString runDir, QObject* parent)
    : QObject(parent), kind_(std::move(kind)), title_(std::move(title)), runDir_(std::move(runDir))
{
    qRegisterMetaType<ranklab::TrainProgress>();
    qRegisterMetaType<ranklab::EpochMetrics>();
}

Job::~Job() = default;

TrainCallbacks Job::forwardingCallbacks()
{
    TrainCallbacks cb;
    cb.progress = [this](const TrainProgress& p) { Q_EMIT progressChanged(p); };
    cb.epochDone = [this](const EpochMetrics& m) { Q_EMIT epochFinished(m); };
    cb.log = [this](const QString& line) { Q_EMIT logLine(line); };
    return cb;
}

TrainJob::TrainJob(TrainParams params, QString runDir, QObject* parent)
    : Job(QStringLiteral("train"), params.model.name, std::move(runDir), parent), params_(std::move(params))
{
}

QJsonObject TrainJob::run()
{
    const bool resume = QFileInfo::exists(QDir(runDir()).filePath(QStringLiteral("params.json")));
    const TrainSummary summary = runTraining(params_, runDir(), resume, forwardingCallbacks(), cancelFlag());
    return toJson(summary);
}

Job* TrainJob::rerun(const QString& runDir) const
{
    return new TrainJob(params_, runDir);
}

} // namespace ranklab
