#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include "core/jobs/job.h"

namespace ranklab {

/// Runs queued jobs on its own thread pool (one at a time by default: jobs share the machine's cores
/// through LibTorch's intra-op threads). A job whose units run on a cluster (Job::runsElsewhere) only waits
/// for them: it starts at once on a pool of its own and takes no local slot. Owns the jobs it is given. Its
/// destructor cancels what runs here, stops watching what runs elsewhere (the cluster keeps it), drops what is
/// queued and waits, so no worker outlives it.
class JobRunner final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobRunner)
public:
    explicit JobRunner(int concurrentJobs = 1, QObject* parent = nullptr);
    ~JobRunner() override;

    /// Queues `job` (taking ownership); it starts when a worker is free.
    void enqueue(Job* job);
    /// Cancels a running job (it stops at the next batch) or removes a queued one.
    void cancel(Job* job);
    QList<Job*> jobs() const { return jobs_; }
    /// Blocks until every queued and running job has ended (for tests and the headless path).
    void waitForAll();

Q_SIGNALS:
    void jobAdded(ranklab::Job* job);
    void jobStarted(ranklab::Job* job);
    void jobEnded(ranklab::Job* job);

private:
    void startNext();
    void start(Job* job, QThreadPool& pool);
    QThreadPool pool_;
    QThreadPool elsewhere_;
    QList<Job*> jobs_;
    QList<Job*> queue_;
    int running_ = 0;
    int watching_ = 0;
};

} // namespace ranklab
