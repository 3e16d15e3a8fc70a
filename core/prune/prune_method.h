#pragma once
// L1 filter pruning (Li et al. 2016) as a LayerMethod: the --ratio smallest-L1 filters of a trained conv
// removed (with its BatchNorm channels and the consumer's inputs), for the training-free layer sweep —
// exactly Li et al.'s per-layer sensitivity analysis (prune one layer, evaluate without retraining).

#include "core/train/layer_method.h"

namespace ranklab::prune {

/// Registers "prune" with registerLayerMethod(); options {"ratio": r}, r in (0, 1). Idempotent.
void registerPruneMethod();

} // namespace ranklab::prune
