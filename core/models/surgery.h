#pragma once
// Internal header (torch types): module surgery by qualified name.

#include <memory>
#include <string>

#include "core/models/layers.h"
#include "core/models/registry.h"

namespace ranklab::models {

/// The sub-module at `qualifiedName` ("layer1.0.conv1", "features.3"); throws ranklab::Error if absent.
std::shared_ptr<nn::Layer> findLayer(const nn::Layer& root, const std::string& qualifiedName);

/// Puts `replacement` where `qualifiedName` was and returns what was there, so it can be put back.
/// The next forward uses the replacement; parameters are re-registered under the same name.
std::shared_ptr<nn::Layer> replaceLayer(nn::Layer& root, const std::string& qualifiedName,
                                        std::shared_ptr<nn::Layer> replacement);

/// The registry of an already built module (see describeModel), e.g. after surgery.
ModelInfo describeModule(nn::Layer& model, const ModelSpec& spec);

} // namespace ranklab::models
