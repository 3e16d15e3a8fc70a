#pragma once
// Internal header (torch types): not for ui/.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include <QString>

#include "core/data/data_spec.h"
#include "core/data/dataset.h"

namespace ranklab::data {

/// Mixes a seed with a stream number (splitmix64 finaliser), so that independent random streams (train
/// subset, test subset, folder split, epoch e) derived from one user seed do not overlap.
uint64_t mixSeed(uint64_t seed, uint64_t stream);

/// A permutation of 0..n-1 from a Fisher–Yates shuffle driven by std::mt19937_64(seed) with unbiased
/// rejection sampling: the same on every platform and standard library (std::shuffle is not).
std::vector<int64_t> seededPermutation(int64_t n, uint64_t seed);

/// How many samples each class contributes to a stratified subset of `n` out of `classCounts`:
/// round(n · count_c / total), corrected by largest remainder so that the quotas sum to exactly `n`.
std::vector<int64_t> stratifiedQuotas(const std::vector<int64_t>& classCounts, int64_t n);

/// Indices (int64, ascending) of a seeded, class-stratified subset of `n` samples: each class's quota
/// (stratifiedQuotas) is taken from a seeded permutation of that class's samples. `labels` is int64 in
/// [0, numClasses). Throws ranklab::Error if n < 1 or n exceeds the number of samples; `what` names the
/// split in that sentence ("training split").
torch::Tensor stratifiedSubsetIndices(const torch::Tensor& labels, int64_t numClasses, int64_t n,
                                      uint64_t seed, const QString& what);

/// The samples of `split` at `indices` (int64), in that order; images stay contiguous uint8.
TensorDataset selectSamples(const TensorDataset& split, const torch::Tensor& indices);

/// Resizes every image to size × size pixels (bilinear, antialiased when shrinking, rounded back to
/// uint8). Works in chunks so the float copy stays small. Throws ranklab::Error if size < 1.
torch::Tensor resizeImages(const torch::Tensor& images, int size);

/// Per-channel mean and (population) standard deviation of uint8 N × C × H × W images, in [0,1] units,
/// computed exactly in double from per-channel histograms. Throws ranklab::Error on an empty set.
Normalization channelStatistics(const torch::Tensor& images);

/// The normalisation a run uses for `outChannels` output channels: the explicit mean/std of `spec`
/// (one value per output channel, or one value for all) or else `trainStats` (per native channel,
/// replicated when grayscale becomes 3 channels). Throws ranklab::Error on a wrong count or std <= 0.
Normalization resolveNormalization(const DataSpec& spec, const Normalization& trainStats, int outChannels);

} // namespace ranklab::data
