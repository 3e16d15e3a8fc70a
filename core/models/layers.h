#pragma once
// Internal header (torch types): the building blocks of every zoo model. Not for ui/.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace ranklab::nn {

/// Base of every RankLab module: a torch Module with a virtual forward and *replaceable* child slots.
/// Containers call their children through slots, so module surgery (replaceChild) swaps a sub-module in
/// place — a BasisConv2d for a Conv2d, a student for a stage — and the next forward uses it. Children are
/// registered with torch under the names torchvision uses, so parameter names match PyTorch checkpoints.
class Layer : public torch::nn::Module {
public:
    explicit Layer(std::string typeName) : torch::nn::Module(std::move(typeName)) {}
    ~Layer() override = default;

    virtual torch::Tensor forward(const torch::Tensor& x) = 0;
    /// FLOPs (2 × multiply-adds, + bias adds) of one forward of one sample with the given shapes
    /// (without batch dimension); 0 for layers the registry does not count.
    virtual int64_t forwardFlops(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape) const
    {
        return 0;
    }
    /// The side of the square output for a square input of side `side`: torch's output-size formula
    /// floor((s + 2p − d(k−1) − 1) / stride) + 1 through the layer's convs and pools in forward order, or a
    /// value below 1 as soon as one stage has no pixel left (where torch refuses the forward). The default
    /// keeps the size (BatchNorm, ReLU, Dropout, …); convs, pools, Sequential and the zoo architectures
    /// override it. Only the zoo's own layers are walked (before surgery), to find the input sizes they accept.
    virtual int64_t outputSide(int64_t side) const { return side; }

    /// The direct child registered as `name`, or nullptr.
    std::shared_ptr<Layer> child(const std::string& name) const;
    /// Replaces the direct child `name` (forward and torch's registry); returns the previous one.
    /// Throws ranklab::Error if there is no such child.
    std::shared_ptr<Layer> replaceChild(const std::string& name, std::shared_ptr<Layer> layer);
    /// Direct children in registration order.
    const std::vector<std::pair<std::string, std::shared_ptr<Layer>>>& childLayers() const { return slots_; }

protected:
    /// Registers `layer` as child `name`; returns the slot forward() uses to call it.
    size_t addLayer(const std::string& name, std::shared_ptr<Layer> layer);
    Layer& at(size_t slot) const { return *slots_[slot].second; }
    bool hasSlot(size_t slot) const { return slot < slots_.size() && slots_[slot].second; }

private:
    std::vector<std::pair<std::string, std::shared_ptr<Layer>>> slots_;
};

/// Options of a 2-D convolution, as torch.nn.Conv2d takes them.
struct ConvOptions {
    int64_t inChannels = 0, outChannels = 0, kernel = 3, stride = 1, padding = 0, dilation = 1, groups = 1;
    bool bias = true;
};

/// The kernel path convolve() takes.
enum class ConvPath {
    Default,      ///< torch::conv2d on NCHW (oneDNN on CPU)
    Thnn,         ///< THNN's im2col + GEMM (strided 1×1 convs on CPU float)
    ChannelsLast, ///< oneDNN on a channels-last copy of the input (small 3×3 convs on CPU float)
};
/// "default", "thnn", "channels-last".
const char* convPathName(ConvPath path);
/// The path convolve() takes for a conv of this shape: strided 1×1 (ResNet downsample shortcuts) → THNN;
/// K > 1, stride 1, ≤ 16 input and ≤ 16 output channels → channels-last; everything else (other devices and
/// dtypes, grouped and dilated convs) → torch's default.
ConvPath chooseConvPath(bool cpuFloat, int64_t kernel, int64_t stride, int64_t dilation, int64_t groups, int64_t inChannels,
                        int64_t outChannels);
/// The one convolution every conv of RankLab runs — plain Conv2d, basis convolutions and the convs composed
/// back after the skip alike — so a comparison of two of them runs the same kernels on both sides. Kernel
/// choice (chooseConvPath), measured with LibTorch 1.13 (oneDNN) on every cifar_resnet18 conv shape at batch
/// 128, 1 thread, forward + backward: THNN is 1.5–3× faster than oneDNN on strided 1×1 convs; channels-last
/// is 1.2–5× faster than NCHW on 3×3 convs with ≤ 16 channels (conversions included). Every path computes the
/// same convolution (up to float rounding).
torch::Tensor convolve(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                       int64_t padding, int64_t dilation = 1, int64_t groups = 1);

/// torch.nn.Conv2d: parameters `weight` (C_out × C_in/groups × K × K) and optional `bias`. Runs convolve().
class Conv2d final : public Layer {
public:
    explicit Conv2d(const ConvOptions& options);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t forwardFlops(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape) const override;
    int64_t outputSide(int64_t side) const override;
    const ConvOptions& options() const { return options_; }
    torch::Tensor weight, bias;   // bias undefined when options().bias is false

private:
    ConvOptions options_;
};

/// torch.nn.Linear: `weight` (out × in) and optional `bias`. Inputs of more than 2 dims are flattened.
class Linear final : public Layer {
public:
    Linear(int64_t in, int64_t out, bool bias = true);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t forwardFlops(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape) const override;
    int64_t inFeatures() const { return in_; }
    int64_t outFeatures() const { return out_; }
    torch::Tensor weight, bias;

private:
    int64_t in_, out_;
};

/// torch.nn.BatchNorm1d/2d: `weight`, `bias`, buffers `running_mean`, `running_var`,
/// `num_batches_tracked` (int64), momentum 0.1, eps 1e-5 — the state dict PyTorch writes.
class BatchNorm final : public Layer {
public:
    explicit BatchNorm(int64_t features, bool twoD = true);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t features() const { return features_; }
    double eps() const { return 1e-5; }
    /// Running-statistics momentum of training-mode forwards: 0.1 (torch's default), or a cumulative average
    /// over the batches since num_batches_tracked was reset when `cumulative` (torch's momentum=None), which
    /// BatchNorm recalibration uses (recalibrateBatchNorm).
    void setCumulative(bool cumulative) { cumulative_ = cumulative; }
    torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
    int64_t features_;
    bool cumulative_ = false;
};

/// ReLU; `inplace` modifies its input (safe after BatchNorm and residual sums, as in torchvision).
class ReLU final : public Layer {
public:
    explicit ReLU(bool inplace = false) : Layer("ReLU"), inplace_(inplace) {}
    torch::Tensor forward(const torch::Tensor& x) override;

private:
    bool inplace_;
};

/// torch.nn.ReLU6: min(max(x, 0), 6) (MobileNetV2); `inplace` as ReLU.
class ReLU6 final : public Layer {
public:
    explicit ReLU6(bool inplace = false) : Layer("ReLU6"), inplace_(inplace) {}
    torch::Tensor forward(const torch::Tensor& x) override;

private:
    bool inplace_;
};

/// torch.nn.MaxPool2d (kernel, stride, padding).
class MaxPool2d final : public Layer {
public:
    MaxPool2d(int64_t kernel, int64_t stride, int64_t padding = 0)
        : Layer("MaxPool2d"), kernel_(kernel), stride_(stride), padding_(padding) {}
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;
    int64_t kernel() const { return kernel_; }
    int64_t stride() const { return stride_; }
    int64_t padding() const { return padding_; }

private:
    int64_t kernel_, stride_, padding_;
};

/// torch.nn.AdaptiveAvgPool2d to a square output.
class AdaptiveAvgPool2d final : public Layer {
public:
    explicit AdaptiveAvgPool2d(int64_t out) : Layer("AdaptiveAvgPool2d"), out_(out) {}
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override { return side < 1 ? side : out_; }
    int64_t outputSize() const { return out_; }

private:
    int64_t out_;
};

/// torch.nn.Dropout (active in training mode only).
class Dropout final : public Layer {
public:
    explicit Dropout(double p = 0.5) : Layer("Dropout"), p_(p) {}
    torch::Tensor forward(const torch::Tensor& x) override;
    double p() const { return p_; }

private:
    double p_;
};

/// torch.nn.Flatten(start_dim=1).
class Flatten final : public Layer {
public:
    Flatten() : Layer("Flatten") {}
    torch::Tensor forward(const torch::Tensor& x) override { return x.flatten(1); }
};

/// torch.nn.Identity.
class Identity final : public Layer {
public:
    Identity() : Layer("Identity") {}
    torch::Tensor forward(const torch::Tensor& x) override { return x; }
};

/// torch.nn.Sequential: children named "0", "1", … called in order.
class Sequential final : public Layer {
public:
    Sequential() : Layer("Sequential") {}
    /// Appends `layer` under the next index name; returns *this for chaining.
    Sequential& push(std::shared_ptr<Layer> layer);
    torch::Tensor forward(const torch::Tensor& x) override;
    int64_t outputSide(int64_t side) const override;
    size_t size() const { return childLayers().size(); }
};

/// torch's output side of a conv or pool window: floor((side + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1,
/// or 0 when the padded input is smaller than the window (torch refuses that forward).
int64_t windowOutputSide(int64_t side, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation = 1);

/// Chains Layer::outputSide through `path` in order, stopping at the first side below 1.
int64_t outputSideThrough(const std::vector<const Layer*>& path, int64_t side);

/// Records, during one forward pass on the calling thread, every Conv2d/Linear-like layer that runs, with
/// its input and output shapes — how the layer registry learns forward order and activation shapes.
class ForwardRecorder final {
public:
    struct Entry {
        const Layer* layer;
        std::vector<int64_t> inShape, outShape;
    };
    ForwardRecorder();
    ~ForwardRecorder();
    ForwardRecorder(const ForwardRecorder&) = delete;
    ForwardRecorder& operator=(const ForwardRecorder&) = delete;

    /// The recorder active on this thread, or nullptr (the common case: a cheap thread_local read).
    static ForwardRecorder* active();
    void record(const Layer* layer, const torch::Tensor& in, const torch::Tensor& out);
    const std::vector<Entry>& entries() const { return entries_; }

private:
    std::vector<Entry> entries_;
    ForwardRecorder* previous_;
};

} // namespace ranklab::nn
