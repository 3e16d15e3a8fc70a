#include "core/jobs/job_runner.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QMetaObject>

#include "core/error.h"

namespace ranklab {

JobRunner::JobRunner(int concurrentJobs, QObject* parent) : QObject(parent)
{
    pool_.setMaxThreadCount(std::max(1, concurrentJobs));
    elsewhere_.setMaxThreadCount(64);
}

JobRunner::~JobRunner()
{
    queue_.clear();
    for (Job* job : jobs_) {
        job->requestDetach();
        job->requestCancel();
    }
    pool_.waitForDone();
    elsewhere_.waitForDone();
    qDeleteAll(jobs_);
}

void JobRunner::enqueue(Job* job)
{
    job->setParent(nullptr);
    jobs_.push_back(job);
    queue_.push_back(job);
    Q_EMIT jobAdded(job);
    startNext();
}

void JobRunner::cancel(Job* job)
{
    if (queue_.removeOne(job)) {
        job->setState(Job::State::Cancelled);
        Q_EMIT job->cancelled();
        Q_EMIT jobEnded(job);
        return;
    }
    job->requestCancel();
}

void JobRunner::startNext()
{
    for (auto it = queue_.begin(); it != queue_.end();) {
        Job* job = *it;
        const bool elsewhere = job->runsElsewhere();
        if (!elsewhere && running_ >= pool_.maxThreadCount()) {
            ++it;
            continue;
        }
        it = queue_.erase(it);
        ++(elsewhere ? watching_ : running_);
        start(job, elsewhere ? elsewhere_ : pool_);
    }
}

void JobRunner::start(Job* job, QThreadPool& pool)
{
    job->setState(Job::State::Running);
    Q_EMIT jobStarted(job);
    pool.start([this, job] {
        JobResult result;
        QString error;
        try {
            result = job->run();
        } catch (const Error& e) {
            error = QString::fromUtf8(e.what());
        } catch (const std::exception& e) {
            error = errorSentence(e);
        }
        QMetaObject::invokeMethod(this, [this, job, result, error] {
            --(job->runsElsewhere() ? watching_ : running_);
            if (!error.isEmpty()) {
                job->setState(Job::State::Failed);
                Q_EMIT job->failed(error);
            } else if (result.outcome == JobOutcome::Cancelled) {
                job->setResult(result);
                job->setState(Job::State::Cancelled);
                Q_EMIT job->cancelled();
            } else {
                job->setResult(result);
                job->setState(Job::State::Finished);
                Q_EMIT job->finished(result.report);
            }
            Q_EMIT jobEnded(job);
            startNext();
        }, Qt::QueuedConnection);
    });
}

void JobRunner::waitForAll()
{
    while (running_ > 0 || watching_ > 0 || !queue_.isEmpty()) {
        pool_.waitForDone(50);
        elsewhere_.waitForDone(1);
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    }
}

} // namespace ranklab
