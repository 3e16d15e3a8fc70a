#include "core/models/mobilenet.h"

#include <cmath>

namespace ranklab::models {

int64_t makeDivisible(double v, int64_t divisor)
{
    int64_t rounded = std::max<int64_t>(divisor, int64_t(v + double(divisor) / 2) / divisor * divisor);
    if (double(rounded) < 0.9 * v)
        rounded += divisor;
    return rounded;
}

MobileNetV2Plan mobileNetV2Plan(double width)
{
    struct Setting {
        int t, c, n, s;
    };
    static const Setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                       {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    MobileNetV2Plan plan;
    plan.stem = makeDivisible(32 * width);
    plan.last = makeDivisible(1280 * std::max(1.0, width));
    int64_t in = plan.stem;
    for (const Setting& s : settings) {
        const int64_t out = makeDivisible(s.c * width);
        for (int i = 0; i < s.n; ++i) {
            InvertedResidualConfig b;
            b.in = in;
            b.out = out;
            b.stride = i == 0 ? s.s : 1;
            b.hidden = std::llround(double(in) * s.t); // torchvision: int(round(inp * expand_ratio))
            b.expand = s.t != 1;
            plan.blocks.push_back(b);
            in = out;
        }
    }
    return plan;
}

namespace {
/// torchvision's Conv2dNormActivation with ReLU6: conv (no bias, padding (k − 1)/2) "0", BN "1", ReLU6 "2".
std::shared_ptr<nn::Sequential> convBnRelu6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups)
{
    auto seq = std::make_shared<nn::Sequential>();
    seq->push(std::make_shared<nn::Conv2d>(nn::ConvOptions{in, out, kernel, stride, (kernel - 1) / 2, 1, groups, false}))
        .push(std::make_shared<nn::BatchNorm>(out))
        .push(std::make_shared<nn::ReLU6>(true));
    return seq;
}
} // namespace

InvertedResidual::InvertedResidual(const InvertedResidualConfig& c) : Layer("InvertedResidual"), residual_(c.residual())
{
    auto seq = std::make_shared<nn::Sequential>();
    if (c.expand)
        seq->push(convBnRelu6(c.in, c.hidden, 1, 1, 1));
    seq->push(convBnRelu6(c.hidden, c.hidden, 3, c.stride, c.hidden));
    seq->push(std::make_shared<nn::Conv2d>(nn::ConvOptions{c.hidden, c.out, 1, 1, 0, 1, 1, false}));
    seq->push(std::make_shared<nn::BatchNorm>(c.out));
    conv_ = addLayer("conv", seq);
}

torch::Tensor InvertedResidual::forward(const torch::Tensor& x)
{
    torch::Tensor y = at(conv_).forward(x);
    return residual_ ? x + y : y;
}

int64_t InvertedResidual::outputSide(int64_t side) const
{
    return at(conv_).outputSide(side);
}

MobileNetV2::MobileNetV2(int64_t numClasses, int64_t inChannels, double width) : Layer("MobileNetV2")
{
    const MobileNetV2Plan plan = mobileNetV2Plan(width);
    auto features = std::make_shared<nn::Sequential>();
    features->push(convBnRelu6(inChannels, plan.stem, 3, 2, 1));
    for (const InvertedResidualConfig& b : plan.blocks)
        features->push(std::make_shared<InvertedResidual>(b));
    features->push(convBnRelu6(plan.blocks.back().out, plan.last, 1, 1, 1));
    features_ = addLayer("features", features);
    auto classifier = std::make_shared<nn::Sequential>();
    auto fc = std::make_shared<nn::Linear>(plan.last, numClasses);
    classifier->push(std::make_shared<nn::Dropout>(0.2)).push(fc);
    classifier_ = addLayer("classifier", classifier);

    torch::NoGradGuard noGrad;
    for (auto& module : modules(/*include_self=*/false))
        if (auto* c = dynamic_cast<nn::Conv2d*>(module.get()))
            torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut); // torchvision: mode="fan_out"
    torch::nn::init::normal_(fc->weight, 0, 0.01);
    fc->bias.zero_();
}

torch::Tensor MobileNetV2::forward(const torch::Tensor& x)
{
    torch::Tensor y = at(features_).forward(x);
    y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    return at(classifier_).forward(y);
}

int64_t MobileNetV2::outputSide(int64_t side) const
{
    const int64_t s = at(features_).outputSide(side);
    return s < 1 ? s : 1;
}

} // namespace ranklab::models
