#include "ui/latency_probe.h"

#include <algorithm>
#include <cmath>

namespace ranklab::ui {

LatencyProbe::LatencyProbe(int intervalMs, QObject* parent) : QObject(parent), intervalMs_(intervalMs)
{
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(intervalMs_);
    connect(&timer_, &QTimer::timeout, this, [this] {
        const qint64 now = clock_.nsecsElapsed();
        lateness_.push_back(std::max(0.0, (now - lastNs_) / 1e6 - intervalMs_));
        lastNs_ = now;
    });
}

void LatencyProbe::start()
{
    clock_.start();
    lastNs_ = 0;
    timer_.start();
}

void LatencyProbe::stop()
{
    timer_.stop();
}

void LatencyProbe::reset()
{
    lateness_.clear();
    lastNs_ = clock_.isValid() ? clock_.nsecsElapsed() : 0;
}

double LatencyProbe::maxMs() const
{
    return lateness_.empty() ? 0.0 : *std::max_element(lateness_.begin(), lateness_.end());
}

double LatencyProbe::percentileMs(double p) const
{
    if (lateness_.empty())
        return 0.0;
    std::vector<double> sorted = lateness_;
    std::sort(sorted.begin(), sorted.end());
    const size_t rank = size_t(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * sorted.size()));
    return sorted[std::max<size_t>(rank, 1) - 1];
}

} // namespace ranklab::ui
