#pragma once
// Internal header (torch types).

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace ranklab::train {

/// SGD with momentum and weight decay, exactly torch.optim.SGD (dampening 0, no Nesterov):
///   g ← ∇ + wd·p;  buf ← g (first step) or momentum·buf + g;  p ← p − lr·buf.
/// State is keyed by *parameter name*, not tensor identity, so a checkpoint restores it by name and a
/// module swap (basis convs composed back, paper A §4.2) can rebuild the state of the new parameters.
class Sgd final {
public:
    Sgd(std::vector<std::pair<std::string, torch::Tensor>> namedParams, double momentum, double weightDecay);

    void zeroGrad();
    /// One update with learning rate `lr`.
    void step(double lr);

    /// Replaces the parameter list (after module surgery). Buffers of names still present are kept;
    /// `initialBuffers` gives buffers for new names (e.g. the composed momentum), others start empty.
    void resetParameters(std::vector<std::pair<std::string, torch::Tensor>> namedParams,
                         const std::unordered_map<std::string, torch::Tensor>& initialBuffers = {});

    const std::vector<std::pair<std::string, torch::Tensor>>& parameters() const { return params_; }
    /// Momentum buffers by parameter name (absent before the first step of a parameter).
    const std::unordered_map<std::string, torch::Tensor>& momentumBuffers() const { return buffers_; }
    void setMomentumBuffers(std::unordered_map<std::string, torch::Tensor> buffers) { buffers_ = std::move(buffers); }

private:
    std::vector<std::pair<std::string, torch::Tensor>> params_;
    std::unordered_map<std::string, torch::Tensor> buffers_;
    double momentum_, weightDecay_;
};

} // namespace ranklab::train
