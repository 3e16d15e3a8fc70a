#include "core/models/resnet.h"

#include "core/models/zoo.h"

namespace ranklab::models {

namespace {
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding)
{
    return std::make_shared<nn::Conv2d>(nn::ConvOptions{in, out, k, stride, padding, 1, 1, false});
}
} // namespace

BasicBlock::BasicBlock(int64_t inPlanes, int64_t planes, int64_t stride) : Layer("BasicBlock")
{
    conv1_ = addLayer("conv1", conv(inPlanes, planes, 3, stride, 1));
    bn1_ = addLayer("bn1", std::make_shared<nn::BatchNorm>(planes));
    relu_ = addLayer("relu", std::make_shared<nn::ReLU>(true));
    conv2_ = addLayer("conv2", conv(planes, planes, 3, 1, 1));
    bn2_ = addLayer("bn2", std::make_shared<nn::BatchNorm>(planes));
    if (stride != 1 || inPlanes != planes) {
        auto down = std::make_shared<nn::Sequential>();
        down->push(conv(inPlanes, planes, 1, stride, 0)).push(std::make_shared<nn::BatchNorm>(planes));
        downsample_ = addLayer("downsample", down);
    }
}

torch::Tensor BasicBlock::forward(const torch::Tensor& x)
{
    auto out = at(relu_).forward(at(bn1_).forward(at(conv1_).forward(x)));
    out = at(bn2_).forward(at(conv2_).forward(out));
    out += hasSlot(downsample_) ? at(downsample_).forward(x) : x;
    return at(relu_).forward(out);
}

int64_t BasicBlock::outputSide(int64_t side) const
{
    const int64_t main = nn::outputSideThrough({&at(conv1_), &at(conv2_)}, side);
    const int64_t shortcut = hasSlot(downsample_) ? at(downsample_).outputSide(side) : side;
    return main == shortcut ? main : 0;
}

Bottleneck::Bottleneck(int64_t inPlanes, int64_t planes, int64_t stride) : Layer("Bottleneck")
{
    const int64_t out = planes * kExpansion;
    conv1_ = addLayer("conv1", conv(inPlanes, planes, 1, 1, 0));
    bn1_ = addLayer("bn1", std::make_shared<nn::BatchNorm>(planes));
    conv2_ = addLayer("conv2", conv(planes, planes, 3, stride, 1));
    bn2_ = addLayer("bn2", std::make_shared<nn::BatchNorm>(planes));
    conv3_ = addLayer("conv3", conv(planes, out, 1, 1, 0));
    bn3_ = addLayer("bn3", std::make_shared<nn::BatchNorm>(out));
    relu_ = addLayer("relu", std::make_shared<nn::ReLU>(true));
    if (stride != 1 || inPlanes != out) {
        auto down = std::make_shared<nn::Sequential>();
        down->push(conv(inPlanes, out, 1, stride, 0)).push(std::make_shared<nn::BatchNorm>(out));
        downsample_ = addLayer("downsample", down);
    }
}

torch::Tensor Bottleneck::forward(const torch::Tensor& x)
{
    auto y = at(relu_).forward(at(bn1_).forward(at(conv1_).forward(x)));
    y = at(relu_).forward(at(bn2_).forward(at(conv2_).forward(y)));
    y = at(bn3_).forward(at(conv3_).forward(y));
    y += hasSlot(downsample_) ? at(downsample_).forward(x) : x;
    return at(relu_).forward(y);
}

int64_t Bottleneck::outputSide(int64_t side) const
{
    const int64_t main = nn::outputSideThrough({&at(conv1_), &at(conv2_), &at(conv3_)}, side);
    const int64_t shortcut = hasSlot(downsample_) ? at(downsample_).outputSide(side) : side;
    return main == shortcut ? main : 0;
}

ResNet::ResNet(const std::vector<int>& blocks, int64_t numClasses, int64_t inChannels, double width, bool cifarStem, bool bottleneck)
    : Layer("ResNet")
{
    const int64_t stem = scaledChannels(64, width);
    conv1_ = cifarStem ? addLayer("conv1", conv(inChannels, stem, 3, 1, 1)) : addLayer("conv1", conv(inChannels, stem, 7, 2, 3));
    bn1_ = addLayer("bn1", std::make_shared<nn::BatchNorm>(stem));
    relu_ = addLayer("relu", std::make_shared<nn::ReLU>(true));
    if (!cifarStem)
        maxpool_ = addLayer("maxpool", std::make_shared<nn::MaxPool2d>(3, 2, 1));
    int64_t inPlanes = stem;
    for (int stage = 0; stage < 4; ++stage) {
        const int64_t planes = scaledChannels(64 << stage, width);
        auto seq = std::make_shared<nn::Sequential>();
        for (int b = 0; b < blocks[stage]; ++b) {
            const int64_t stride = (b == 0 && stage > 0) ? 2 : 1;
            if (bottleneck)
                seq->push(std::make_shared<Bottleneck>(inPlanes, planes, stride));
            else
                seq->push(std::make_shared<BasicBlock>(inPlanes, planes, stride));
            inPlanes = bottleneck ? planes * Bottleneck::kExpansion : planes;
        }
        layers_[stage] = addLayer("layer" + std::to_string(stage + 1), seq);
    }
    avgpool_ = addLayer("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
    fc_ = addLayer("fc", std::make_shared<nn::Linear>(inPlanes, numClasses));

    // torchvision's initialisation: kaiming_normal_(fan_out, relu) for convs, BN weight 1 / bias 0.
    torch::NoGradGuard noGrad;
    for (auto& module : modules(/*include_self=*/false))
        if (auto* c = dynamic_cast<nn::Conv2d*>(module.get()))
            torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
}

torch::Tensor ResNet::forward(const torch::Tensor& x)
{
    auto y = at(relu_).forward(at(bn1_).forward(at(conv1_).forward(x)));
    if (hasSlot(maxpool_))
        y = at(maxpool_).forward(y);
    for (size_t stage : layers_)
        y = at(stage).forward(y);
    y = at(avgpool_).forward(y).flatten(1);
    return at(fc_).forward(y);
}

int64_t ResNet::outputSide(int64_t side) const
{
    std::vector<const nn::Layer*> path{&at(conv1_)};
    if (hasSlot(maxpool_))
        path.push_back(&at(maxpool_));
    for (size_t stage : layers_)
        path.push_back(&at(stage));
    path.push_back(&at(avgpool_));
    return nn::outputSideThrough(path, side);
}

} // namespace ranklab::models
