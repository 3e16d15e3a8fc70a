#pragma once
// Internal header (torch types): torchvision's MobileNetV2 (Sandler et al. 2018), depthwise convolutions included.

#include <vector>

#include "core/models/layers.h"

namespace ranklab::models {

/// torchvision's _make_divisible: `v` rounded to the nearest multiple of `divisor` (at least `divisor`), one
/// multiple more where rounding lost over 10 % — how MobileNetV2 scales its widths.
int64_t makeDivisible(double v, int64_t divisor = 8);

/// One inverted residual block: 1×1 expansion to `hidden` channels (absent when the expansion ratio is 1),
/// 3×3 depthwise conv with `stride`, 1×1 linear projection to `out` channels.
struct InvertedResidualConfig {
    int64_t in = 0, out = 0, stride = 1, hidden = 0;
    bool expand = true;
    /// torchvision's use_res_connect: the block adds its input when it keeps the shape.
    bool residual() const { return stride == 1 && in == out; }
};

/// MobileNetV2's widths at a width multiplier: the stem's channels, the 17 blocks (torchvision's inverted
/// residual setting t, c, n, s = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1))
/// and the last 1×1 conv's channels (1280 · max(1, width)). Widths use makeDivisible(c · width, 8), as torchvision.
struct MobileNetV2Plan {
    int64_t stem = 0, last = 0;
    std::vector<InvertedResidualConfig> blocks;
};
MobileNetV2Plan mobileNetV2Plan(double width);

/// torchvision's InvertedResidual: child `conv`, a Sequential of [Conv-BN-ReLU6 expansion,] Conv-BN-ReLU6
/// depthwise (groups = channels), 1×1 conv, BN; the input is added when the block keeps its shape. Parameter
/// names are torchvision's (conv.0.0.weight, conv.1.0.weight, conv.2.weight, conv.3.weight, …).
class InvertedResidual final : public nn::Layer {
public:
    explicit InvertedResidual(const InvertedResidualConfig& config);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;
    bool residual() const { return residual_; }

private:
    size_t conv_;
    bool residual_;
};

/// torchvision's mobilenet_v2: `features` (0: Conv-BN-ReLU6 3×3 stride 2; 1–17: inverted residual blocks;
/// 18: Conv-BN-ReLU6 1×1), a functional adaptive average pool to 1×1, `classifier` = Dropout(0.2), Linear.
/// torchvision's initialisation (kaiming_normal_ fan-out convs, BN 1/0, Linear N(0, 0.01) and zero bias).
/// Any input size ≥ 1 keeps a pixel in every stage (padded 3×3 stride-2 convs).
class MobileNetV2 final : public nn::Layer {
public:
    MobileNetV2(int64_t numClasses, int64_t inChannels, double width);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;

private:
    size_t features_, classifier_;
};

} // namespace ranklab::models
