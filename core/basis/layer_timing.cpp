#include "core/basis/layer_timing.h"

#include <algorithm>
#include <chrono>

namespace ranklab::basis {

std::vector<std::vector<double>> interleavedForwardBackwardSeconds(const std::vector<nn::Layer*>& layers,
                                                                   const std::vector<int64_t>& inputShape, int repeats,
                                                                   int warmups)
{
    std::vector<std::vector<double>> seconds(layers.size());
    if (layers.empty())
        return seconds;
    const auto params = layers.front()->parameters();
    const auto options = params.empty() ? torch::TensorOptions() : params.front().options().requires_grad(false);
    torch::Tensor x = torch::randn(inputShape, options).requires_grad_(true);
    std::vector<torch::Tensor> gradOutputs(layers.size());
    for (int round = 0; round < warmups + std::max(1, repeats); ++round)
        for (size_t l = 0; l < layers.size(); ++l) {
            x.mutable_grad().reset();
            for (auto& p : layers[l]->parameters())
                p.mutable_grad().reset();
            if (!gradOutputs[l].defined()) { // shape probe, outside the timed region
                torch::NoGradGuard noGrad;
                gradOutputs[l] = torch::randn_like(layers[l]->forward(x));
            }
            const auto start = std::chrono::steady_clock::now();
            torch::Tensor y = layers[l]->forward(x);
            y.backward(gradOutputs[l]);
            const auto stop = std::chrono::steady_clock::now();
            if (round >= warmups)
                seconds[l].push_back(std::chrono::duration<double>(stop - start).count());
        }
    return seconds;
}

double medianForwardBackwardSeconds(nn::Layer& layer, const std::vector<int64_t>& inputShape, int repeats, int warmups)
{
    return medianOf(interleavedForwardBackwardSeconds({&layer}, inputShape, repeats, warmups).front());
}

double medianOf(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace ranklab::basis
