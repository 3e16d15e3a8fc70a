#include "core/models/vgg.h"

#include "core/models/zoo.h"

namespace ranklab::models {

namespace {
constexpr int kPool = 0; // marker for a max-pool in a VGG configuration

void initLinear(nn::Linear& linear)
{
    torch::NoGradGuard noGrad;
    torch::nn::init::normal_(linear.weight, 0, 0.01);
    linear.bias.zero_();
}
} // namespace

Vgg::Vgg(const std::string& name, const std::vector<int>& config, bool batchNorm, bool cifarHead, int64_t numClasses,
         int64_t inChannels, int64_t inputSize, double width)
    : Layer("VGG")
{
    auto features = std::make_shared<nn::Sequential>();
    int64_t channels = inChannels;
    for (int c : config) {
        if (c == kPool) {
            features->push(std::make_shared<nn::MaxPool2d>(2, 2));
            continue;
        }
        const int64_t out = scaledChannels(c, width);
        auto conv = std::make_shared<nn::Conv2d>(nn::ConvOptions{channels, out, 3, 1, 1, 1, 1, true});
        {
            torch::NoGradGuard noGrad;
            torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
            conv->bias.zero_();
        }
        features->push(conv);
        if (batchNorm)
            features->push(std::make_shared<nn::BatchNorm>(out));
        features->push(std::make_shared<nn::ReLU>(true));
        channels = out;
    }
    const int64_t size = requireInputSide(name, inputSize, [&](int64_t side) { return features->outputSide(side); });
    features_ = addLayer("features", features);
    if (cifarHead) {
        auto fc = std::make_shared<nn::Linear>(channels * size * size, numClasses);
        classifier_ = addLayer("classifier", fc);
        return;
    }
    avgpool_ = addLayer("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(7));
    const int64_t hidden = scaledChannels(4096, width);
    auto head = std::make_shared<nn::Sequential>();
    auto fc0 = std::make_shared<nn::Linear>(channels * 7 * 7, hidden);
    auto fc3 = std::make_shared<nn::Linear>(hidden, hidden);
    auto fc6 = std::make_shared<nn::Linear>(hidden, numClasses);
    for (auto* fc : {fc0.get(), fc3.get(), fc6.get()})
        initLinear(*fc);
    head->push(fc0).push(std::make_shared<nn::ReLU>(true)).push(std::make_shared<nn::Dropout>(0.5));
    head->push(fc3).push(std::make_shared<nn::ReLU>(true)).push(std::make_shared<nn::Dropout>(0.5));
    head->push(fc6);
    classifier_ = addLayer("classifier", head);
}

torch::Tensor Vgg::forward(const torch::Tensor& x)
{
    auto y = at(features_).forward(x);
    if (hasSlot(avgpool_))
        y = at(avgpool_).forward(y);
    return at(classifier_).forward(y.flatten(1));
}

int64_t Vgg::outputSide(int64_t side) const
{
    return hasSlot(avgpool_) ? nn::outputSideThrough({&at(features_), &at(avgpool_)}, side) : at(features_).outputSide(side);
}

LeNet300::LeNet300(int64_t inFeatures, int64_t numClasses, double width) : Layer("LeNet300")
{
    const int64_t h1 = scaledChannels(300, width), h2 = scaledChannels(100, width);
    fc1_ = addLayer("fc1", std::make_shared<nn::Linear>(inFeatures, h1));
    fc2_ = addLayer("fc2", std::make_shared<nn::Linear>(h1, h2));
    fc3_ = addLayer("fc3", std::make_shared<nn::Linear>(h2, numClasses));
    relu_ = addLayer("relu", std::make_shared<nn::ReLU>(true));
}

torch::Tensor LeNet300::forward(const torch::Tensor& x)
{
    auto y = at(relu_).forward(at(fc1_).forward(x.flatten(1)));
    y = at(relu_).forward(at(fc2_).forward(y));
    return at(fc3_).forward(y);
}

LeNet5::LeNet5(int64_t inChannels, int64_t inputSize, int64_t numClasses, double width) : Layer("LeNet5")
{
    const int64_t c1 = scaledChannels(6, width), c2 = scaledChannels(16, width);
    auto conv1 = std::make_shared<nn::Conv2d>(nn::ConvOptions{inChannels, c1, 5, 1, 2, 1, 1, true});
    auto conv2 = std::make_shared<nn::Conv2d>(nn::ConvOptions{c1, c2, 5, 1, 0, 1, 1, true});
    auto pool = std::make_shared<nn::MaxPool2d>(2, 2);
    const int64_t after = requireInputSide("lenet5", inputSize, [&](int64_t side) { return featureSide(*conv1, *conv2, *pool, side); });
    conv1_ = addLayer("conv1", conv1);
    conv2_ = addLayer("conv2", conv2);
    fc1_ = addLayer("fc1", std::make_shared<nn::Linear>(c2 * after * after, scaledChannels(120, width)));
    fc2_ = addLayer("fc2", std::make_shared<nn::Linear>(scaledChannels(120, width), scaledChannels(84, width)));
    fc3_ = addLayer("fc3", std::make_shared<nn::Linear>(scaledChannels(84, width), numClasses));
    relu_ = addLayer("relu", std::make_shared<nn::ReLU>(true));
    pool_ = addLayer("pool", pool);
}

int64_t LeNet5::outputSide(int64_t side) const
{
    return featureSide(at(conv1_), at(conv2_), at(pool_), side);
}

int64_t LeNet5::featureSide(const nn::Layer& conv1, const nn::Layer& conv2, const nn::Layer& pool, int64_t side)
{
    return nn::outputSideThrough({&conv1, &pool, &conv2, &pool}, side);
}

torch::Tensor LeNet5::forward(const torch::Tensor& x)
{
    auto y = at(pool_).forward(at(relu_).forward(at(conv1_).forward(x)));
    y = at(pool_).forward(at(relu_).forward(at(conv2_).forward(y)));
    y = at(relu_).forward(at(fc1_).forward(y.flatten(1)));
    y = at(relu_).forward(at(fc2_).forward(y));
    return at(fc3_).forward(y);
}

} // namespace ranklab::models
