#pragma once
// Internal header (torch types): wall-clock timing of layers' forward + backward (ALGORITHMS.md §4).

#include <vector>

#include <torch/torch.h>

#include "core/models/layers.h"

namespace ranklab::basis {

/// Forward + backward wall times in seconds of several layers that take the same input, measured
/// round-robin — one run of each layer per round — so that load changes on a shared machine hit all of
/// them alike. The input is a random tensor of `inputShape` (N × C × H × W) that requires grad, as a layer
/// inside a network sees it, so the times include the input gradient as well as the parameter gradients;
/// the output gradient is a fixed random tensor; gradients are cleared before every run (no accumulation).
/// After `warmups` unmeasured rounds, `repeats` rounds are measured: result[l][r] is layer l in round r.
/// Runs on the calling thread's torch threading settings.
std::vector<std::vector<double>> interleavedForwardBackwardSeconds(const std::vector<nn::Layer*>& layers,
                                                                   const std::vector<int64_t>& inputShape, int repeats,
                                                                   int warmups = 1);

/// Median of `repeats` forward + backward runs of one layer after `warmups` (see above).
double medianForwardBackwardSeconds(nn::Layer& layer, const std::vector<int64_t>& inputShape, int repeats,
                                    int warmups = 1);

/// Median of a non-empty sample (mean of the middle two for an even count).
double medianOf(std::vector<double> values);

} // namespace ranklab::basis
