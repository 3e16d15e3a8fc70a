#pragma once
// Internal header (torch types).

#include <memory>

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

/// Channels after the width multiplier: max(1, round(c · width)).
int64_t scaledChannels(int64_t channels, double width);

} // namespace ranklab::models
