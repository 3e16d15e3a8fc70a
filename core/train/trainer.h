#pragma once

#include <atomic>

#include <QString>

#include "core/train/train_params.h"

namespace ranklab {

/// Trains `params` into the run folder `outDir` (params.json, metrics.csv, checkpoint.rlk after every
/// epoch, model.rlk and summary.json when complete). `resume`: continue from checkpoint.rlk — the resumed
/// run gives the same metrics as an uninterrupted one; a completed folder just returns its summary.
/// Without `resume`, a folder that already holds a run is an error. `cancel` is checked every batch: the
/// run stops with status "cancelled" and stays resumable from the last finished epoch.
/// Throws ranklab::Error on bad input and on a NaN/inf loss (the last good checkpoint is kept).
TrainSummary runTraining(const TrainParams& params, const QString& outDir, bool resume,
                         const TrainCallbacks& callbacks = {}, const std::atomic_bool* cancel = nullptr);

} // namespace ranklab
