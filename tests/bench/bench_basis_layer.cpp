// Case basis-layer: forward + backward time of the three basis-convolution forms (paper A §3.1) against the
// Conv2d they replace, for every conv shape of cifar_resnet18, next to the ratio the paper's counts predict.
#include <algorithm>
#include <memory>
#include <cstdio>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <QFile>
#include <QString>

#include "core/basis/basis_conv.h"
#include "core/basis/cost_model.h"
#include "core/basis/layer_timing.h"
#include "core/models/registry.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "tests/bench/bench_cases.h"

namespace ranklab::bench {

namespace {

using basis::BasisConv2d;
using basis::BasisForm;
using basis::BasisSpec;

constexpr int64_t kBatch = 128;

/// One distinct conv shape of the model and the layers that have it.
struct ConvShape {
    std::string name; // first layer with the shape
    int count = 0;
    nn::ConvOptions options;
    int64_t inH = 0, inW = 0, outH = 0, outW = 0;
};

std::vector<ConvShape> convShapes(double width)
{
    const ModelSpec spec{QStringLiteral("cifar_resnet18"), 10, 3, 32, width};
    auto model = models::createModel(spec);
    const ModelInfo info = models::describeModule(*model, spec);
    std::vector<ConvShape> shapes;
    for (const LayerInfo& layer : info.layers) {
        const auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*model, layer.name.toStdString()));
        if (!conv)
            continue;
        const auto& o = conv->options();
        auto same = std::find_if(shapes.begin(), shapes.end(), [&](const ConvShape& s) {
            return s.options.inChannels == o.inChannels && s.options.outChannels == o.outChannels && s.options.kernel == o.kernel
                && s.options.stride == o.stride && s.inH == layer.inShape.value(1);
        });
        if (same != shapes.end()) {
            ++same->count;
            continue;
        }
        shapes.push_back({layer.name.toStdString(), 1, o, layer.inShape.value(1), layer.inShape.value(2),
                          layer.outShape.value(1), layer.outShape.value(2)});
    }
    return shapes;
}

std::string loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2).toStdString() : "?";
}

/// Per layer, the median over rounds of (its time / the first layer's time in the same round).
std::vector<double> medianRatios(const std::vector<std::vector<double>>& seconds)
{
    std::vector<double> ratios;
    for (const auto& s : seconds) {
        std::vector<double> r;
        for (size_t k = 0; k < s.size(); ++k)
            r.push_back(s[k] / seconds[0][k]);
        ratios.push_back(median(r));
    }
    return ratios;
}

int runBasisLayer(int repeats)
{
    torch::set_num_threads(1);
    torch::manual_seed(1);
    const double alphas[] = {0.25, 0.5};
    const double betas[] = {0.0, 0.3};
    const int repeatsWide = std::max(2, repeats - 2);
    std::printf("basis-layer: cifar_resnet18 conv shapes, 32x32 input, batch %lld, 1 thread, load average %s at start.\n"
                "Forward+backward time of each form / the Conv2d's, input requires grad; the conv and all forms of a\n"
                "shape run round-robin, ratio = median over rounds of the per-round ratio (%d rounds at width 0.25, %d at\n"
                "width 1, after one warm-up round). 'pred' = the paper's count ratio (N_f+N_b)/(N0_f+N0_b); the weight\n"
                "form's backward is taken as the conv's (the paper gives no N'_b).\n\n",
                static_cast<long long>(kBatch), loadAverage().c_str(), repeats, repeatsWide);
    std::printf("%-5s %-26s %-19s %4s %4s %8s | %6s %6s | %6s %6s | %6s %6s %8s  %s\n", "width", "layer (count)",
                "C_in>C_out k s out", "a", "b", "conv ms", "weight", "pred", "output", "pred", "pair", "pred", "achieved",
                "goal");
    int misses = 0, checked = 0, wideMisses = 0, wideChecked = 0;
    for (double width : {0.25, 1.0}) {
        const int rounds = width < 1 ? repeats : repeatsWide;
        for (const ConvShape& s : convShapes(width)) {
            const auto& o = s.options;
            nn::Conv2d conv(o);
            std::vector<std::unique_ptr<BasisConv2d>> forms;
            auto add = [&](const BasisSpec& spec) {
                forms.push_back(std::make_unique<BasisConv2d>(conv, spec, s.name));
                return forms.size(); // index in the timed list (the conv is 0)
            };
            size_t weightAt[2], outputAt[2], pairAt[2][2];
            for (int a = 0; a < 2; ++a) {
                weightAt[a] = add({alphas[a], 0, BasisForm::Weight, basis::BasisInit::Random});
                outputAt[a] = add({alphas[a], 0, BasisForm::Output, basis::BasisInit::Random});
                for (int b = 0; b < 2; ++b)
                    pairAt[a][b] = add({alphas[a], betas[b], BasisForm::Pair, basis::BasisInit::Random});
            }
            std::vector<nn::Layer*> layers = {&conv};
            for (auto& f : forms)
                layers.push_back(f.get());
            const auto seconds = basis::interleavedForwardBackwardSeconds(layers, {kBatch, o.inChannels, s.inH, s.inW}, rounds);
            const std::vector<double> ratio = medianRatios(seconds);
            const double convMs = median(seconds[0]) * 1e3;
            for (int a = 0; a < 2; ++a)
                for (int b = 0; b < 2; ++b) {
                    const BasisSpec spec{alphas[a], betas[b], BasisForm::Pair, basis::BasisInit::Random};
                    const basis::LayerCost c = basis::predictLayerCost(o.inChannels, o.outChannels, o.kernel, s.outH,
                                                                       s.outW, o.bias, spec);
                    const double n0 = c.n0f + c.n0b;
                    const double predWeight = (c.n1f + c.n0b) / n0, predOutput = (c.n2f + c.n2b) / n0;
                    const double pair = ratio[pairAt[a][b]];
                    const double achieved = (1 / pair) / c.predictedSpeedup;
                    std::string goal = "-";
                    if (c.predictedSpeedup > 1) {
                        const bool wide = std::min(o.inChannels, o.outChannels) >= 64;
                        const bool ok = pair < 1 && (!wide || achieved >= 0.8);
                        goal = ok ? "ok" : "MISS";
                        ++checked;
                        misses += ok ? 0 : 1;
                        wideChecked += wide ? 1 : 0;
                        wideMisses += wide && !ok ? 1 : 0;
                    }
                    const std::string layer = s.name + " (" + std::to_string(s.count) + ")";
                    std::printf("%-5g %-26s %4lld>%-4lld k%lld s%lld %2lldx%-2lld %4.2f %4.2f %8.1f | %6.3f %6.3f | %6.3f %6.1f | "
                                "%6.3f %6.3f %8.2f  %s\n",
                                width, layer.c_str(), static_cast<long long>(o.inChannels), static_cast<long long>(o.outChannels),
                                static_cast<long long>(o.kernel), static_cast<long long>(o.stride),
                                static_cast<long long>(s.outH), static_cast<long long>(s.outW), alphas[a], betas[b], convMs,
                                ratio[weightAt[a]], predWeight, ratio[outputAt[a]], predOutput, pair, 1 / c.predictedSpeedup,
                                achieved, goal.c_str());
                }
            std::fflush(stdout);
        }
    }
    std::printf("\nachieved = measured speed-up (conv / pair) / predicted speed-up (N0_f+N0_b)/(N'''_f+N'''_b).\n"
                "goal: where a speed-up is predicted, pair < conv, and achieved >= 0.80 when min(C_in, C_out) >= 64.\n"
                "%d of %d rows with a predicted speed-up miss the goal (%d of %d with min(C_in, C_out) >= 64).\n",
                misses, checked, wideMisses, wideChecked);

    // The pair form's mixing three ways (BasisConv2d::setPairKernel): the fused custom op, stock gather ops,
    // and a dense C_out x C' 1x1 convolution with the coefficients expanded.
    std::printf("\npair-form mixing alternatives at width 1, a = 0.25, b = 0.3 (time / conv, %d rounds):\n", repeatsWide);
    std::printf("%-22s %8s %8s %8s\n", "layer", "fused", "gather", "dense");
    for (const ConvShape& s : convShapes(1.0)) {
        if (s.name != "layer1.0.conv1" && s.name != "layer3.0.conv2")
            continue;
        nn::Conv2d conv(s.options);
        std::vector<std::unique_ptr<BasisConv2d>> kernels;
        std::vector<nn::Layer*> layers = {&conv};
        for (auto kernel : {basis::PairKernel::Fused, basis::PairKernel::Gather, basis::PairKernel::Dense}) {
            kernels.push_back(std::make_unique<BasisConv2d>(conv, BasisSpec{0.25, 0.3, BasisForm::Pair, basis::BasisInit::Random}, s.name));
            kernels.back()->setPairKernel(kernel);
            layers.push_back(kernels.back().get());
        }
        const auto ratio = medianRatios(basis::interleavedForwardBackwardSeconds(layers, {kBatch, s.options.inChannels, s.inH, s.inW}, repeatsWide));
        std::printf("%-22s %8.3f %8.3f %8.3f\n", s.name.c_str(), ratio[1], ratio[2], ratio[3]);
    }
    std::printf("load average at the end: %s\n", loadAverage().c_str());
    return 0; // reported, not enforced: a benchmark informs, it does not gate
}

const CaseRegistration registration(
    "basis-layer",
    {"basis-conv forms vs Conv2d, fwd+bwd time per cifar_resnet18 conv shape, next to the paper's predicted ratio",
     runBasisLayer});

} // namespace
} // namespace ranklab::bench
