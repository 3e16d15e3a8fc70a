#pragma once
// Internal header (torch types).

#include "core/models/layers.h"

namespace ranklab::models {

/// VGG with torchvision's layout: `features.N` (3×3 convs with bias, optional BatchNorm, ReLU, 2×2
/// max-pools at torchvision's indices) and a classifier. `cifarHead` false: torchvision's head
/// (adaptive 7×7 average pool, classifier.0/3/6 = Linear 4096-4096-classes with dropout); true: the CIFAR
/// head of paper B's experiments (no pooling head, one Linear `classifier` on the flattened features, so its
/// size follows the input size). Any input size at which every 2×2 pool keeps a pixel works (32 for five
/// pools); `name` names the model in the refusal of a smaller one.
class Vgg final : public nn::Layer {
public:
    Vgg(const std::string& name, const std::vector<int>& config, bool batchNorm, bool cifarHead, int64_t numClasses,
        int64_t inChannels, int64_t inputSize, double width);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;

private:
    size_t features_, avgpool_ = size_t(-1), classifier_;
};

/// LeNet-300-100 (fc1 784→300, fc2 300→100, fc3 100→classes, ReLU): the MLP of paper B's first test.
class LeNet300 final : public nn::Layer {
public:
    LeNet300(int64_t inFeatures, int64_t numClasses, double width);
    torch::Tensor forward(const torch::Tensor& x) override;

private:
    size_t fc1_, fc2_, fc3_, relu_;
};

/// LeNet-5 with ReLU and max-pool: conv1 (5×5, 6, padding 2 so 28×28 inputs keep their size), pool,
/// conv2 (5×5, 16), pool, fc1 120, fc2 84, fc3 classes. fc1's input follows the input size; any input size
/// at which the second pool keeps a pixel works (12 and up).
class LeNet5 final : public nn::Layer {
public:
    LeNet5(int64_t inChannels, int64_t inputSize, int64_t numClasses, double width);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;

private:
    /// conv1 → pool → conv2 → pool: the side fc1 flattens.
    static int64_t featureSide(const nn::Layer& conv1, const nn::Layer& conv2, const nn::Layer& pool, int64_t side);
    size_t conv1_, conv2_, fc1_, fc2_, fc3_, relu_, pool_;
};

} // namespace ranklab::models
