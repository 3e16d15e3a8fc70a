#pragma once
// Internal header (torch types).

#include <functional>

#include "core/data/dataset.h"
#include "core/models/layers.h"
#include "core/train/evaluate.h"

namespace ranklab::train {

/// Evaluates `model` (switched to eval mode, restored afterwards) on every batch of `loader`.
/// `onBatch(logits, labels, firstIndex)` sees each batch's logits, e.g. to write predictions.
/// `cancel` (may be null) is checked every batch; returns what was evaluated so far when set.
EvalResult evaluate(nn::Layer& model, data::BatchLoader& loader,
                    const std::function<void(const torch::Tensor&, const torch::Tensor&, int64_t)>& onBatch = {},
                    const std::atomic_bool* cancel = nullptr);

/// Sets LibTorch's intra-op thread count (0: all cores).
void applyThreadCount(int threads);

} // namespace ranklab::train
