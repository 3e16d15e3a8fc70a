#pragma once

#include <atomic>

#include "core/jobs/job_kind.h"

namespace ranklab::cli {

/// The job context of a command-line run: progress on stderr (a self-updating line on a terminal, a line
/// every 10 % otherwise), log lines and warnings on stderr, and SIGINT/SIGTERM as the cancel request.
class CliContext final : public JobContext {
public:
    explicit CliContext(bool quiet);
    void progress(const TrainProgress& progress) override;
    void metrics(const EpochMetrics&) override {}
    void log(const QString& line) override;
    void warn(const QString& line) override;
    bool isCancelled() const override;
    const std::atomic_bool* cancelFlag() const override;

private:
    bool quiet_, tty_;
    int lastDecile_ = -1;
};

/// Set by SIGINT/SIGTERM; long commands stop at the next batch and stay resumable.
void installCancelHandler();

} // namespace ranklab::cli
