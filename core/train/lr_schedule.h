#pragma once

#include <QString>

namespace ranklab {

/// Learning rate of epoch `epoch` (0-based) for `schedule`: "cosine" is PyTorch's CosineAnnealingLR with
/// T_max = totalEpochs and eta_min = 0 stepped once per epoch, lr·(1 + cos(π·epoch/T_max))/2 — a closed
/// form, so a resumed or phase-switched run gets exactly the uninterrupted schedule; "constant" is lr.
/// Throws ranklab::Error for an unknown schedule.
double scheduledLearningRate(const QString& schedule, double baseLr, int epoch, int totalEpochs);

} // namespace ranklab
