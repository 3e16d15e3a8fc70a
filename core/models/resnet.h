#pragma once
// Internal header (torch types).

#include "core/models/layers.h"

namespace ranklab::models {

/// torchvision's BasicBlock: conv1-bn1-relu-conv2-bn2 (+ downsample: 1×1 conv + BN when the shape
/// changes), sum, relu. Forward order — conv1, conv2, downsample.0 — is the registry order of paper A.
class BasicBlock final : public nn::Layer {
public:
    BasicBlock(int64_t inPlanes, int64_t planes, int64_t stride);
    torch::Tensor forward(const torch::Tensor& x) override;
    /// conv1 → conv2; 0 where the shortcut would give another size (torch's sum refuses it).
    int64_t outputSide(int64_t side) const override;

private:
    size_t conv1_, bn1_, relu_, conv2_, bn2_, downsample_ = size_t(-1);
};

/// torchvision's Bottleneck (ResNet v1.5: the stride on the 3×3 conv): conv1 (1×1) - bn1 - relu - conv2 (3×3,
/// stride) - bn2 - relu - conv3 (1×1, 4× the planes) - bn3 (+ downsample: 1×1 conv + BN when the shape changes), sum,
/// relu. Registry order: conv1, conv2, conv3, downsample.0.
class Bottleneck final : public nn::Layer {
public:
    static constexpr int64_t kExpansion = 4;
    Bottleneck(int64_t inPlanes, int64_t planes, int64_t stride);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;

private:
    size_t conv1_, bn1_, relu_, conv2_, bn2_, conv3_, bn3_, downsample_ = size_t(-1);
};

/// torchvision ResNet with BasicBlocks (resnet18: [2,2,2,2], resnet34: [3,4,6,3]) or Bottlenecks (resnet50:
/// [3,4,6,3]). `cifarStem`: a 3×3
/// stride-1 conv1 and no max-pool (the CIFAR variant used by paper A); otherwise the ImageNet stem
/// (7×7 stride-2 conv1 + 3×3 stride-2 max-pool).
class ResNet final : public nn::Layer {
public:
    ResNet(const std::vector<int>& blocks, int64_t numClasses, int64_t inChannels, double width, bool cifarStem, bool bottleneck = false);
    torch::Tensor forward(const torch::Tensor& x) override;
    /// The stem, the four stages and the adaptive average pool (1 wherever every stage keeps a pixel).
    int64_t outputSide(int64_t side) const override;

private:
    size_t conv1_, bn1_, relu_, maxpool_ = size_t(-1), layers_[4], avgpool_, fc_;
};

} // namespace ranklab::models
