#pragma once

#include <atomic>

#include <QJsonObject>
#include <QObject>
#include <QString>

#include "core/train/train_params.h"

namespace ranklab {

/// A background experiment (qBittorrent's TorrentCreator pattern): parameters in, run() on a worker
/// thread, a cancel flag checked at least every batch, and queued signals out. Exceptions never leave
/// run(): JobRunner turns them into failed(sentence).
class Job : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Job)
public:
    enum class State { Queued, Running, Finished, Failed, Cancelled };
    Q_ENUM(State)

    Job(QString kind, QString title, QString runDir, QObject* parent = nullptr);
    ~Job() override;

    /// The work itself, on a worker thread. Throws ranklab::Error on failure; returns the summary.
    virtual QJsonObject run() = 0;
    /// A new, queued job with exactly these parameters that writes into `runDir` (the jobs panel's
    /// "Re-run"). The caller owns it.
    virtual Job* rerun(const QString& runDir) const = 0;

    const QString& kind() const { return kind_; }
    const QString& title() const { return title_; }
    const QString& runDir() const { return runDir_; }
    State state() const { return state_.load(); }
    void setState(State state) { state_ = state; }
    void requestCancel() { cancel_ = true; }
    bool cancelRequested() const { return cancel_.load(); }

Q_SIGNALS:
    void progressChanged(const ranklab::TrainProgress& progress);
    void epochFinished(const ranklab::EpochMetrics& metrics);
    void logLine(const QString& line);
    void finished(const QJsonObject& summary);
    void failed(const QString& message);
    void cancelled();

protected:
    const std::atomic_bool* cancelFlag() const { return &cancel_; }
    /// Callbacks that forward the trainer's reports as this job's signals (thread-safe, queued).
    TrainCallbacks forwardingCallbacks();

private:
    QString kind_, title_, runDir_;
    std::atomic_bool cancel_{false};
    std::atomic<State> state_{State::Queued};
};

/// Plain training (`ranklab-cli train`) as a job; resumes if its folder holds an interrupted run.
class TrainJob final : public Job {
    Q_OBJECT
public:
    TrainJob(TrainParams params, QString runDir, QObject* parent = nullptr);
    QJsonObject run() override;
    Job* rerun(const QString& runDir) const override;
    const TrainParams& params() const { return params_; }

private:
    TrainParams params_;
};

} // namespace ranklab

Q_DECLARE_METATYPE(ranklab::TrainProgress)
Q_DECLARE_METATYPE(ranklab::EpochMetrics)
