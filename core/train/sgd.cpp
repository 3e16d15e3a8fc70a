#include "core/train/sgd.h"

namespace ranklab::train {

Sgd::Sgd(std::vector<std::pair<std::string, torch::Tensor>> namedParams, double momentum, double weightDecay)
    : params_(std::move(namedParams)), momentum_(momentum), weightDecay_(weightDecay)
{
}

void Sgd::zeroGrad()
{
    for (auto& [name, p] : params_)
        if (p.grad().defined())
            p.mutable_grad() = torch::Tensor(); // set_to_none, as PyTorch ≥ 2.0 does by default
}

void Sgd::step(double lr)
{
    torch::NoGradGuard noGrad;
    for (auto& [name, p] : params_) {
        if (!p.grad().defined())
            continue;
        torch::Tensor g = p.grad();
        if (weightDecay_ != 0)
            g = g.add(p, weightDecay_);
        if (momentum_ != 0) {
            auto it = buffers_.find(name);
            if (it == buffers_.end()) {
                it = buffers_.emplace(name, g.clone()).first;
            } else {
                it->second.mul_(momentum_).add_(g);
            }
            g = it->second;
        }
        p.add_(g, -lr);
    }
}

void Sgd::resetParameters(std::vector<std::pair<std::string, torch::Tensor>> namedParams,
                          const std::unordered_map<std::string, torch::Tensor>& initialBuffers)
{
    std::unordered_map<std::string, torch::Tensor> kept;
    for (const auto& [name, p] : namedParams) {
        const auto init = initialBuffers.find(name);
        if (init != initialBuffers.end()) {
            kept.emplace(name, init->second.detach().clone());
            continue;
        }
        const auto old = buffers_.find(name);
        if (old != buffers_.end() && old->second.sizes() == p.sizes())
            kept.emplace(name, old->second);
    }
    params_ = std::move(namedParams);
    buffers_ = std::move(kept);
}

} // namespace ranklab::train
