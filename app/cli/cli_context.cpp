#include "app/cli/cli_context.h"

#include "core/jobs/kinds/kinds.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace ranklab::cli {

namespace {
std::atomic_bool gCancel{false};

void onSignal(int)
{
    if (gCancel.exchange(true)) // second signal: stop now
        std::_Exit(130);
}
} // namespace

void installCancelHandler()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

CliContext::CliContext(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}

bool CliContext::isCancelled() const
{
    return gCancel.load();
}

const std::atomic_bool* CliContext::cancelFlag() const
{
    return &gCancel;
}

void CliContext::log(const QString& line)
{
    if (quiet_)
        return;
    if (tty_)
        std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

void CliContext::warn(const QString& line)
{
    if (tty_ && !quiet_)
        std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "ranklab-cli: warning: %s\n", qPrintable(line));
    std::fflush(stderr);
}

void CliContext::progress(const TrainProgress& p)
{
    if (quiet_)
        return;
    const int percent = int(100 * p.fraction);
    const QString line = QStringLiteral("epoch %1/%2 %3 %4% batch %5/%6 loss %7 ETA %8")
                             .arg(p.epoch)
                             .arg(p.epochs)
                             .arg(p.phase.isEmpty() ? QString() : QLatin1Char('[') + p.phase + QLatin1Char(']'))
                             .arg(percent)
                             .arg(p.step)
                             .arg(p.stepsPerEpoch)
                             .arg(p.batchLoss, 0, 'f', 4)
                             .arg(kinds::formatDuration(p.etaSeconds));
    if (tty_) {
        std::fprintf(stderr, "\r\033[K%s", qPrintable(line));
        std::fflush(stderr);
    } else if (percent / 10 != lastDecile_) {
        lastDecile_ = percent / 10;
        std::fprintf(stderr, "%s\n", qPrintable(line));
    }
}

} // namespace ranklab::cli
