#pragma once

#include <atomic>

#include <QJsonObject>
#include <QObject>
#include <QString>

#include "core/jobs/job_kind.h"
#include "core/train/train_params.h"

namespace ranklab {

/// One background run of any registered kind (qBittorrent's TorrentCreator pattern): a kind and its
/// parameters in, run() on a worker thread, a cancel flag checked at least every batch, and queued
/// signals out. Exceptions never leave the worker: JobRunner turns them into failed(sentence).
class Job final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Job)
public:
    enum class State { Queued, Running, Finished, Failed, Cancelled };
    Q_ENUM(State)

    /// `params` of `kind`; for a kind with a run folder, `runDir` becomes its folder parameter (and an
    /// interrupted run already there is continued).
    Job(const JobKind& kind, Params params, QString runDir, QObject* parent = nullptr);
    ~Job() override;

    /// The work itself, on a worker thread. Throws ranklab::Error on failure.
    JobResult run();
    /// A new, queued job with exactly these parameters that writes into `runDir` (the jobs panel's
    /// "Re-run"). The caller owns it.
    Job* rerun(const QString& runDir) const;

    const JobKind& jobKind() const { return *kind_; }
    const QString& kind() const { return kind_->id; }
    const QString& title() const { return title_; }
    const QString& runDir() const { return runDir_; }
    const Params& params() const { return params_; }
    /// The finished job's result (empty before).
    const JobResult& result() const { return result_; }
    void setResult(JobResult result) { result_ = std::move(result); }
    State state() const { return state_.load(); }
    void setState(State state) { state_ = state; }
    void requestCancel() { cancel_ = true; }
    bool cancelRequested() const { return cancel_.load(); }
    /// Stop watching: a job whose units run elsewhere returns and leaves them running (the GUI closing).
    void requestDetach() { detach_ = true; }
    /// The job's units run on a cluster (--executor slurm): it only waits for them, so it does not take one of
    /// this machine's job slots.
    bool runsElsewhere() const;

Q_SIGNALS:
    void progressChanged(const ranklab::TrainProgress& progress);
    void epochFinished(const ranklab::EpochMetrics& metrics);
    void logLine(const QString& line);
    void finished(const QJsonObject& report);
    void failed(const QString& message);
    void cancelled();
    /// The states of the job's units changed (JobContext::units).
    void unitsChanged(const QJsonObject& states);

private:
    class Context;
    const JobKind* kind_;
    Params params_;
    QString title_, runDir_;
    JobResult result_;
    std::atomic_bool cancel_{false};
    std::atomic_bool detach_{false};
    std::atomic<State> state_{State::Queued};
};

} // namespace ranklab

Q_DECLARE_METATYPE(ranklab::TrainProgress)
Q_DECLARE_METATYPE(ranklab::EpochMetrics)
