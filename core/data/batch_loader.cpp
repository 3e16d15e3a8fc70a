// BatchLoader (declared in dataset.h): one index_select per batch, vectorised crop/flip, fused normalisation.
#include "core/data/dataset.h"

#include <algorithm>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "core/data/transforms.h"
#include "core/error.h"

namespace ranklab::data {
namespace {

/// A 1 × C × 1 × 1 float tensor from one value per channel, one value for all, or `fallback` if empty.
torch::Tensor channelTensor(const QVector<double>& values, int channels, double fallback, const char* what)
{
    std::vector<float> out(static_cast<size_t>(channels), static_cast<float>(fallback));
    if (values.size() == channels) {
        for (int c = 0; c < channels; ++c)
            out[static_cast<size_t>(c)] = static_cast<float>(values[c]);
    } else if (values.size() == 1) {
        std::fill(out.begin(), out.end(), static_cast<float>(values.front()));
    } else if (!values.isEmpty()) {
        throw Error(QStringLiteral("The batch loader got %1 normalisation %2 values for %3 channels.")
                        .arg(values.size())
                        .arg(QLatin1String(what))
                        .arg(channels));
    }
    return torch::tensor(out, torch::kFloat).view({1, channels, 1, 1});
}

/// Random crop (after zero padding by `padding` pixels) and horizontal flip (p = 0.5) of every image of a
/// uint8 B × C × H × W batch, drawn from `gen`, as one gather instead of a per-sample loop:
/// out[b, c, i, j] = padded[b, c, i + dy_b, dx_b + (flip_b ? W-1-j : j)].
torch::Tensor cropAndFlip(const torch::Tensor& batch, int padding, torch::Generator& gen)
{
    const int64_t b = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
    const auto longs = torch::TensorOptions().dtype(torch::kLong);
    const torch::Tensor dy = torch::randint(0, 2 * padding + 1, {b, 1, 1}, gen, longs);
    const torch::Tensor dx = torch::randint(0, 2 * padding + 1, {b, 1, 1}, gen, longs);
    const torch::Tensor flip = torch::randint(0, 2, {b, 1, 1}, gen, longs).to(torch::kBool);

    const torch::Tensor padded =
        padding > 0 ? torch::constant_pad_nd(batch, {padding, padding, padding, padding}, 0) : batch;
    const int64_t paddedWidth = w + 2 * padding;
    const torch::Tensor rows = torch::arange(h, longs).view({1, h, 1}) + dy;            // B × H × 1
    const torch::Tensor j = torch::arange(w, longs).view({1, 1, w});
    const torch::Tensor cols = torch::where(flip, (w - 1) - j, j) + dx;                 // B × 1 × W
    const torch::Tensor index = (rows * paddedWidth + cols).view({b, 1, h * w}).expand({b, c, h * w});
    return padded.reshape({b, c, -1}).gather(2, index).view({b, c, h, w});
}

} // namespace

BatchLoader::BatchLoader(const TensorDataset& split, const Normalization& norm, int outChannels, int batchSize,
                         bool shuffle, bool augment, int cropPadding, uint64_t seed)
    : split_(split),
      outChannels_(outChannels),
      batchSize_(batchSize),
      shuffle_(shuffle),
      augment_(augment),
      cropPadding_(cropPadding),
      seed_(seed),
      gen_(at::detail::createCPUGenerator(seed))
{
    if (batchSize < 1)
        throw Error(QStringLiteral("The batch size must be at least 1, not %1.").arg(batchSize));
    if (cropPadding < 0)
        throw Error(QStringLiteral("The crop padding cannot be negative (%1).").arg(cropPadding));
    const int native = split.images.defined() ? split.channels() : outChannels;
    if (outChannels < 1 || (outChannels != native && native != 1))
        throw Error(QStringLiteral("A batch loader cannot turn %1-channel images into %2 channels.")
                        .arg(native)
                        .arg(outChannels));
    mean_ = channelTensor(norm.mean, outChannels, 0.0, "mean");
    const torch::Tensor std = channelTensor(norm.std, outChannels, 1.0, "std");
    if (!(std.min().item<float>() > 0.0f))
        throw Error("The batch loader's normalisation std must be positive.");
    invStd_ = std.reciprocal();
    startEpoch(0);
}

void BatchLoader::startEpoch(int epoch)
{
    if (epoch < 0)
        throw Error(QStringLiteral("The epoch number cannot be negative (%1).").arg(epoch));
    gen_ = at::detail::createCPUGenerator(mixSeed(seed_, static_cast<uint64_t>(epoch)));
    const int64_t n = samples();
    order_ = shuffle_ ? torch::randperm(n, gen_, torch::TensorOptions().dtype(torch::kLong))
                      : torch::arange(n, torch::TensorOptions().dtype(torch::kLong));
    cursor_ = 0;
}

bool BatchLoader::next(torch::Tensor& images, torch::Tensor& labels)
{
    const int64_t n = samples();
    if (cursor_ >= n)
        return false;
    const int64_t count = std::min<int64_t>(batchSize_, n - cursor_);
    const torch::Tensor index = order_.narrow(0, cursor_, count);
    cursor_ += count;

    torch::Tensor batch = split_.images.index_select(0, index); // uint8, one gather for the whole batch
    labels = split_.labels.index_select(0, index);
    if (augment_)
        batch = cropAndFlip(batch, cropPadding_, gen_);
    torch::Tensor x = batch.to(torch::kFloat);
    if (x.size(1) != outChannels_)
        x = x.expand({count, outChannels_, x.size(2), x.size(3)}); // grayscale replicated: a view
    // (x/255 - mean)/std as one fused multiply-add; writes a fresh contiguous tensor.
    images = torch::addcmul(-mean_ * invStd_, x, invStd_ / 255.0);
    return true;
}

int64_t BatchLoader::batchesPerEpoch() const
{
    return (samples() + batchSize_ - 1) / batchSize_;
}

int64_t BatchLoader::samples() const
{
    return split_.size();
}

} // namespace ranklab::data
