#include "core/models/layers.h"

#include <cmath>

#include <QByteArray>

#include "core/error.h"

namespace ranklab::nn {

std::shared_ptr<Layer> Layer::child(const std::string& name) const
{
    for (const auto& [slotName, layer] : slots_)
        if (slotName == name)
            return layer;
    return nullptr;
}

std::shared_ptr<Layer> Layer::replaceChild(const std::string& name, std::shared_ptr<Layer> layer)
{
    for (auto& [slotName, current] : slots_) {
        if (slotName != name)
            continue;
        std::shared_ptr<Layer> previous = current;
        current = layer;
        replace_module(name, layer);
        return previous;
    }
    throw Error("module " + this->name() + " has no child named '" + name + "'.");
}

size_t Layer::addLayer(const std::string& name, std::shared_ptr<Layer> layer)
{
    register_module(name, layer);
    slots_.emplace_back(name, std::move(layer));
    return slots_.size() - 1;
}

Conv2d::Conv2d(const ConvOptions& options) : Layer("Conv2d"), options_(options)
{
    if (options.inChannels <= 0 || options.outChannels <= 0 || options.kernel <= 0
        || options.inChannels % options.groups != 0)
        throw Error("invalid convolution: " + std::to_string(options.inChannels) + " → "
                    + std::to_string(options.outChannels) + " channels, kernel " + std::to_string(options.kernel) + ".");
    weight = register_parameter(
        "weight", torch::empty({options.outChannels, options.inChannels / options.groups, options.kernel, options.kernel}));
    // PyTorch's default initialisation (kaiming_uniform with a = sqrt(5)); zoo models re-initialise.
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (options.bias) {
        const double fanIn = double(options.inChannels / options.groups) * options.kernel * options.kernel;
        bias = register_parameter("bias", torch::empty({options.outChannels}).uniform_(-1 / std::sqrt(fanIn), 1 / std::sqrt(fanIn)));
    }
}

const char* convPathName(ConvPath path)
{
    switch (path) {
    case ConvPath::Default: return "default";
    case ConvPath::Thnn: return "thnn";
    case ConvPath::ChannelsLast: return "channels-last";
    }
    return "default";
}

ConvPath chooseConvPath(bool cpuFloat, int64_t kernel, int64_t stride, int64_t dilation, int64_t groups, int64_t inChannels,
                        int64_t outChannels)
{
    // RANKLAB_CONV_PATH=default: every conv on torch's default path (a diagnostic for benchmarks; read once).
    static const bool forceDefault = qgetenv("RANKLAB_CONV_PATH") == "default";
    if (forceDefault || !cpuFloat || groups != 1 || dilation != 1)
        return ConvPath::Default;
    if (kernel == 1 && stride > 1)
        return ConvPath::Thnn;
    if (kernel > 1 && stride == 1 && inChannels <= 16 && outChannels <= 16)
        return ConvPath::ChannelsLast;
    return ConvPath::Default;
}

torch::Tensor convolve(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                       int64_t padding, int64_t dilation, int64_t groups)
{
    const bool cpuFloat = x.device().is_cpu() && x.scalar_type() == torch::kFloat;
    const int64_t kernel = weight.size(-1);
    switch (chooseConvPath(cpuFloat, kernel, stride, dilation, groups, weight.size(1) * groups, weight.size(0))) {
    case ConvPath::Thnn:
        return at::thnn_conv2d(x, weight, {kernel, kernel}, bias, {stride, stride}, {padding, padding});
    case ConvPath::ChannelsLast:
        return torch::conv2d(x.contiguous(at::MemoryFormat::ChannelsLast), weight, bias, stride, padding, dilation).contiguous();
    case ConvPath::Default:
        break;
    }
    return torch::conv2d(x, weight, bias, stride, padding, dilation, groups);
}

torch::Tensor Conv2d::forward(const torch::Tensor& x)
{
    auto y = convolve(x, weight, bias, options_.stride, options_.padding, options_.dilation, options_.groups);
    if (auto* recorder = ForwardRecorder::active())
        recorder->record(this, x, y);
    return y;
}

int64_t Conv2d::forwardFlops(const std::vector<int64_t>&, const std::vector<int64_t>& outShape) const
{
    // 2 · K² · C_in/groups · C_out · H_out · W_out (ALGORITHMS.md §4) + one add per output for the bias.
    const int64_t outputs = outShape.at(0) * outShape.at(1) * outShape.at(2);
    return 2 * weight.numel() / options_.outChannels * outputs + (options_.bias ? outputs : 0);
}

int64_t Conv2d::outputSide(int64_t side) const
{
    return side < 1 ? side : windowOutputSide(side, options_.kernel, options_.stride, options_.padding, options_.dilation);
}

int64_t windowOutputSide(int64_t side, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation)
{
    const int64_t span = side + 2 * padding - dilation * (kernel - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

int64_t outputSideThrough(const std::vector<const Layer*>& path, int64_t side)
{
    for (const Layer* layer : path) {
        if (side < 1)
            break;
        side = layer->outputSide(side);
    }
    return side;
}

Linear::Linear(int64_t in, int64_t out, bool withBias) : Layer("Linear"), in_(in), out_(out)
{
    if (in <= 0 || out <= 0)
        throw Error("invalid linear layer " + std::to_string(in) + " → " + std::to_string(out) + ".");
    weight = register_parameter("weight", torch::empty({out, in}));
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (withBias) {
        const double bound = 1 / std::sqrt(double(in));
        bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
    }
}

torch::Tensor Linear::forward(const torch::Tensor& x)
{
    const auto input = x.dim() > 2 ? x.flatten(1) : x;
    auto y = torch::linear(input, weight, bias);
    if (auto* recorder = ForwardRecorder::active())
        recorder->record(this, input, y);
    return y;
}

int64_t Linear::forwardFlops(const std::vector<int64_t>&, const std::vector<int64_t>&) const
{
    return 2 * in_ * out_ + (bias.defined() ? out_ : 0);
}

BatchNorm::BatchNorm(int64_t features, bool twoD) : Layer(twoD ? "BatchNorm2d" : "BatchNorm1d"), features_(features)
{
    weight = register_parameter("weight", torch::ones({features}));
    bias = register_parameter("bias", torch::zeros({features}));
    running_mean = register_buffer("running_mean", torch::zeros({features}));
    running_var = register_buffer("running_var", torch::ones({features}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

torch::Tensor BatchNorm::forward(const torch::Tensor& x)
{
    double momentum = 0.1;
    if (is_training()) {
        torch::NoGradGuard noGrad;
        num_batches_tracked.add_(1);
        if (cumulative_) // torch's momentum=None: the running statistics average every batch since the reset
            momentum = 1.0 / double(num_batches_tracked.item<int64_t>());
    }
    return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps(),
                             at::globalContext().userEnabledCuDNN());
}

torch::Tensor ReLU::forward(const torch::Tensor& x)
{
    if (!inplace_)
        return torch::relu(x);
    torch::Tensor y = x; // a second handle to the same storage
    return y.relu_();
}

torch::Tensor ReLU6::forward(const torch::Tensor& x)
{
    if (!inplace_)
        return torch::hardtanh(x, 0, 6);
    torch::Tensor y = x;
    return torch::hardtanh_(y, 0, 6);
}

torch::Tensor MaxPool2d::forward(const torch::Tensor& x)
{
    return torch::max_pool2d(x, kernel_, stride_, padding_);
}

int64_t MaxPool2d::outputSide(int64_t side) const
{
    return side < 1 ? side : windowOutputSide(side, kernel_, stride_, padding_);
}

torch::Tensor AdaptiveAvgPool2d::forward(const torch::Tensor& x)
{
    return torch::adaptive_avg_pool2d(x, {out_, out_});
}

torch::Tensor Dropout::forward(const torch::Tensor& x)
{
    return torch::dropout(x, p_, is_training());
}

Sequential& Sequential::push(std::shared_ptr<Layer> layer)
{
    addLayer(std::to_string(size()), std::move(layer));
    return *this;
}

torch::Tensor Sequential::forward(const torch::Tensor& x)
{
    torch::Tensor y = x;
    for (size_t i = 0; i < size(); ++i)
        y = at(i).forward(y);
    return y;
}

int64_t Sequential::outputSide(int64_t side) const
{
    for (size_t i = 0; i < size() && side >= 1; ++i)
        side = at(i).outputSide(side);
    return side;
}

namespace {
thread_local ForwardRecorder* tActiveRecorder = nullptr;
}

ForwardRecorder::ForwardRecorder() : previous_(tActiveRecorder) { tActiveRecorder = this; }
ForwardRecorder::~ForwardRecorder() { tActiveRecorder = previous_; }
ForwardRecorder* ForwardRecorder::active() { return tActiveRecorder; }

void ForwardRecorder::record(const Layer* layer, const torch::Tensor& in, const torch::Tensor& out)
{
    auto shape = [](const torch::Tensor& t) {
        auto sizes = t.sizes().vec();
        sizes.erase(sizes.begin()); // drop the batch dimension
        return sizes;
    };
    entries_.push_back({layer, shape(in), shape(out)});
}

} // namespace ranklab::nn
