#pragma once
// Internal header (torch types).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/models/layers.h"
#include "core/models/model_spec.h"

namespace ranklab::models {

/// Builds the zoo architecture `spec.name` with torchvision's parameter names (so PyTorch checkpoints
/// load one-to-one) and torchvision's initialisation. Throws ranklab::Error for an unknown name or
/// options that cannot work (input too small for the pooling stages, width ≤ 0, …).
/// Narrower convs named in `spec.channels` (a pruned model) are built narrower (applyChannelPlan).
std::shared_ptr<nn::Layer> createModel(const ModelSpec& spec);

/// createModel() without the channel plan: the architecture's own widths.
std::shared_ptr<nn::Layer> createArchitecture(const ModelSpec& spec);

/// What building `spec` costs, from its shapes alone (nothing is allocated): the parameter count of the
/// architecture's own widths (a channel plan only narrows it) and the largest activation of a batch-1
/// forward, in elements.
struct ModelFootprint {
    double parameters = 0;
    double largestActivation = 0;
    /// Bytes to build the model and run the registry's batch-1 forward: float32 weights plus a few
    /// activations of the largest size alive at once.
    double buildBytes() const { return 4.0 * (parameters + 3.0 * largestActivation); }
};
ModelFootprint estimateFootprint(const ModelSpec& spec);

/// The memory this process may still use: /proc/meminfo's MemAvailable, lowered to the cgroup's
/// memory.max − memory.current where a limit is set. 0 if neither can be read (then nothing is refused).
double availableMemoryBytes();

/// The smallest input side ≥ 1 at which `outputSide` (a model's output side for an input side, as
/// nn::Layer::outputSide computes it) is at least 1, i.e. every stage keeps at least one pixel — the sizes
/// PyTorch runs the same architecture at; 0 if no side up to 65536 does.
int64_t smallestInputSide(const std::function<int64_t(int64_t)>& outputSide);

/// outputSide(inputSize); throws ranklab::Error naming `modelName` and smallestInputSide() when it is below 1.
int64_t requireInputSide(const std::string& modelName, int64_t inputSize, const std::function<int64_t(int64_t)>& outputSide);

/// Channels after the width multiplier: max(1, round(c · width)).
int64_t scaledChannels(int64_t channels, double width);

} // namespace ranklab::models
