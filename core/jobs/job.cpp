#include "core/jobs/job.h"

#include <QFileInfo>

namespace ranklab {

/// Forwards a runner's reports as the job's (queued) signals.
class Job::Context final : public JobContext {
public:
    explicit Context(Job* job) : job_(job) {}
    void progress(const TrainProgress& p) override { Q_EMIT job_->progressChanged(p); }
    void metrics(const EpochMetrics& m) override { Q_EMIT job_->epochFinished(m); }
    void log(const QString& line) override { Q_EMIT job_->logLine(line); }
    bool isCancelled() const override { return job_->cancel_.load(); }
    const std::atomic_bool* cancelFlag() const override { return &job_->cancel_; }
    void units(const QJsonObject& states) override { Q_EMIT job_->unitsChanged(states); }
    bool isDetached() const override { return job_->detach_.load(); }

private:
    Job* job_;
};

Job::Job(const JobKind& kind, Params params, QString runDir, QObject* parent)
    : QObject(parent), kind_(&kind), params_(std::move(params)), runDir_(std::move(runDir))
{
    qRegisterMetaType<ranklab::TrainProgress>();
    qRegisterMetaType<ranklab::EpochMetrics>();
    title_ = kind.schema.find(QStringLiteral("model")) && !params_.value(QStringLiteral("model")).isEmpty()
        ? params_.value(QStringLiteral("model"))
        : kind.title;
    if (!kind.runFolderParam.isEmpty() && !runDir_.isEmpty()) {
        params_.set(kind.runFolderParam, runDir_);
        // A folder that already ran this job (job.json) is continued where it stopped.
        if (!kind.resumeParam.isEmpty()) {
            if (QFileInfo::exists(jobFilePath(runDir_)))
                params_.set(kind.resumeParam, QStringLiteral("1"));
            else
                params_.unset(kind.resumeParam);
        }
    }
}

Job::~Job() = default;

bool Job::runsElsewhere() const
{
    return kind_->schema.find(QStringLiteral("executor")) && params_.value(QStringLiteral("executor")) == QLatin1String("slurm");
}

JobResult Job::run()
{
    Context context(this);
    return runJob(*kind_, params_, context);
}

Job* Job::rerun(const QString& runDir) const
{
    Params params = params_;
    if (!kind_->resumeParam.isEmpty())
        params.unset(kind_->resumeParam);
    return new Job(*kind_, params, runDir);
}

} // namespace ranklab
