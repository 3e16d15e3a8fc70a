#pragma once

#include <vector>

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace ranklab::ui {

/// Measures how late the event loop of the calling thread serves a precise timer: every `intervalMs`
/// the timer fires, and the lateness of a tick is the time since the previous tick minus the interval
/// (a stalled loop shows up as one large lateness). For the UI-responsiveness test and the ui-latency
/// benchmark (goal: p99 ≤ 30 ms, max ≤ 100 ms).
class LatencyProbe final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LatencyProbe)
public:
    explicit LatencyProbe(int intervalMs = 5, QObject* parent = nullptr);
    void start();
    void stop();
    void reset();
    /// Ticks measured so far.
    int samples() const { return int(lateness_.size()); }
    /// Largest lateness, milliseconds (0 without samples).
    double maxMs() const;
    /// The p-th percentile (nearest rank) of the lateness, milliseconds, p in [0, 100].
    double percentileMs(double p) const;

private:
    int intervalMs_;
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 lastNs_ = 0;
    std::vector<double> lateness_;
};

} // namespace ranklab::ui
