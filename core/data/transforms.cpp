#include "core/data/transforms.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"

namespace ranklab::data {
namespace F = torch::nn::functional;

uint64_t mixSeed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<int64_t> seededPermutation(int64_t n, uint64_t seed)
{
    std::vector<int64_t> perm(static_cast<size_t>(std::max<int64_t>(n, 0)));
    std::iota(perm.begin(), perm.end(), int64_t(0));
    std::mt19937_64 rng(seed);
    for (int64_t i = n - 1; i > 0; --i) {
        const uint64_t bound = static_cast<uint64_t>(i) + 1;
        const uint64_t threshold = (0 - bound) % bound; // 2^64 mod bound: reject below it, no modulo bias
        uint64_t r = rng();
        while (r < threshold)
            r = rng();
        std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(r % bound)]);
    }
    return perm;
}

std::vector<int64_t> stratifiedQuotas(const std::vector<int64_t>& classCounts, int64_t n)
{
    const int64_t total = std::accumulate(classCounts.begin(), classCounts.end(), int64_t(0));
    std::vector<int64_t> quotas(classCounts.size(), 0);
    if (total <= 0 || n <= 0)
        return quotas;
    std::vector<int64_t> remainders(classCounts.size(), 0);
    int64_t assigned = 0;
    for (size_t c = 0; c < classCounts.size(); ++c) {
        // n · count ≤ total² stays far below 2^63 for any in-memory data set.
        quotas[c] = n * classCounts[c] / total;
        remainders[c] = n * classCounts[c] % total;
        assigned += quotas[c];
    }
    std::vector<size_t> order(classCounts.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
    for (size_t k = 0; assigned < n && k < order.size(); ++k) {
        if (remainders[order[k]] == 0)
            break;
        ++quotas[order[k]];
        ++assigned;
    }
    return quotas;
}

torch::Tensor stratifiedSubsetIndices(const torch::Tensor& labels, int64_t numClasses, int64_t n,
                                      uint64_t seed, const QString& what)
{
    const torch::Tensor flat = labels.to(torch::kLong).contiguous();
    const int64_t total = flat.numel();
    if (n < 1)
        throw Error(QStringLiteral("A subset of the %1 needs at least 1 sample, not %2.").arg(what).arg(n));
    if (n > total)
        throw Error(QStringLiteral("A subset of %1 samples was asked for, but the %2 has only %3.")
                        .arg(n)
                        .arg(what)
                        .arg(total));
    std::vector<std::vector<int64_t>> byClass(static_cast<size_t>(numClasses));
    const int64_t* label = flat.data_ptr<int64_t>();
    for (int64_t i = 0; i < total; ++i) {
        if (label[i] < 0 || label[i] >= numClasses)
            throw Error(QStringLiteral("The %1 has label %2 at sample %3, outside 0..%4.")
                            .arg(what)
                            .arg(label[i])
                            .arg(i)
                            .arg(numClasses - 1));
        byClass[static_cast<size_t>(label[i])].push_back(i);
    }
    std::vector<int64_t> counts;
    for (const auto& members : byClass)
        counts.push_back(static_cast<int64_t>(members.size()));
    const std::vector<int64_t> quotas = stratifiedQuotas(counts, n);

    std::vector<int64_t> chosen;
    chosen.reserve(static_cast<size_t>(n));
    for (size_t c = 0; c < byClass.size(); ++c) {
        const std::vector<int64_t> perm = seededPermutation(counts[c], mixSeed(seed, c));
        for (int64_t k = 0; k < quotas[c]; ++k)
            chosen.push_back(byClass[c][static_cast<size_t>(perm[static_cast<size_t>(k)])]);
    }
    std::sort(chosen.begin(), chosen.end());
    return torch::tensor(chosen, torch::kLong);
}

TensorDataset selectSamples(const TensorDataset& split, const torch::Tensor& indices)
{
    TensorDataset out;
    out.images = split.images.index_select(0, indices).contiguous();
    out.labels = split.labels.index_select(0, indices).contiguous();
    out.classNames = split.classNames;
    return out;
}

torch::Tensor resizeImages(const torch::Tensor& images, int size)
{
    if (size < 1)
        throw Error(QStringLiteral("Images cannot be resized to %1 pixels; the size must be at least 1.")
                        .arg(size));
    const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
    if (h == size && w == size)
        return images;
    torch::Tensor out = torch::empty({n, c, size, size}, torch::kUInt8);
    const bool shrinking = size < h || size < w;
    const auto options = F::InterpolateFuncOptions()
                             .size(std::vector<int64_t>{size, size})
                             .mode(torch::kBilinear)
                             .align_corners(false)
                             .antialias(shrinking);
    constexpr int64_t kChunk = 1024;
    for (int64_t start = 0; start < n; start += kChunk) {
        const int64_t count = std::min(kChunk, n - start);
        const torch::Tensor x = images.narrow(0, start, count).to(torch::kFloat);
        const torch::Tensor y = F::interpolate(x, options).round_().clamp_(0, 255);
        out.narrow(0, start, count).copy_(y);
    }
    return out;
}

Normalization channelStatistics(const torch::Tensor& images)
{
    const torch::Tensor x = images.contiguous();
    const int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3);
    if (n == 0 || plane == 0)
        throw Error("Normalisation statistics cannot be computed from an empty training split.");
    std::vector<std::array<uint64_t, 256>> histogram(static_cast<size_t>(c));
    for (auto& h : histogram)
        h.fill(0);
    const uint8_t* data = x.data_ptr<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t ch = 0; ch < c; ++ch) {
            auto& h = histogram[static_cast<size_t>(ch)];
            const uint8_t* p = data + (i * c + ch) * plane;
            for (int64_t k = 0; k < plane; ++k)
                ++h[p[k]];
        }
    }
    Normalization stats;
    const double count = static_cast<double>(n) * static_cast<double>(plane);
    for (const auto& h : histogram) {
        double sum = 0.0;
        for (int v = 0; v < 256; ++v)
            sum += static_cast<double>(h[static_cast<size_t>(v)]) * (v / 255.0);
        const double mean = sum / count;
        double squares = 0.0;
        for (int v = 0; v < 256; ++v) {
            const double d = v / 255.0 - mean;
            squares += static_cast<double>(h[static_cast<size_t>(v)]) * d * d;
        }
        stats.mean.append(mean);
        stats.std.append(std::sqrt(squares / count));
    }
    return stats;
}

namespace {

/// One value per output channel from `values` (one per channel or one for all).
QVector<double> perChannel(const QVector<double>& values, int outChannels, const char* what)
{
    if (values.size() == outChannels)
        return values;
    if (values.size() == 1)
        return QVector<double>(outChannels, values.front());
    throw Error(QStringLiteral("The normalisation %1 has %2 values, but the data has %3 channel(s); give one "
                               "value per channel or a single value.")
                    .arg(QLatin1String(what))
                    .arg(values.size())
                    .arg(outChannels));
}

} // namespace

Normalization resolveNormalization(const DataSpec& spec, const Normalization& trainStats, int outChannels)
{
    Normalization norm;
    norm.mean = spec.mean.isEmpty() ? perChannel(trainStats.mean, outChannels, "mean")
                                    : perChannel(spec.mean, outChannels, "mean");
    norm.std = spec.std.isEmpty() ? perChannel(trainStats.std, outChannels, "std")
                                  : perChannel(spec.std, outChannels, "std");
    for (const double m : norm.mean)
        if (!std::isfinite(m))
            throw OptionError("The normalisation mean must be a finite number.");
    if (spec.std.isEmpty()) {
        for (int ch = 0; ch < norm.std.size(); ++ch)
            if (!(norm.std[ch] > 0.0))
                throw Error(QStringLiteral("Channel %1 of the training split is constant, so its std is 0 and "
                                           "cannot normalise; give an explicit std.")
                                .arg(ch));
    }
    for (const double s : norm.std)
        if (!(s > 0.0) || !std::isfinite(s))
            throw OptionError(QStringLiteral("The normalisation std must be positive, not %1.").arg(s));
    return norm;
}

} // namespace ranklab::data
