#pragma once
// Models whose structure comes from the weights file itself (a RON student carries its layer list), built
// by factories that higher rooms register — so train/ can evaluate such a file without including ron/.

#include <functional>
#include <memory>

#include <QString>

#include "core/models/layers.h"
#include "core/models/model_spec.h"

namespace ranklab::models {

/// Returns the model `weightsPath` describes, or nullptr when the file is not of this factory's kind.
/// Throws ranklab::Error when it is, but does not fit `spec`.
using StructuredModelFactory = std::function<std::shared_ptr<nn::Layer>(const ModelSpec& spec, const QString& weightsPath)>;

/// Adds a factory (thread-safe). registerBuiltinKinds() registers RON students'.
void registerStructuredModelFactory(StructuredModelFactory factory);

/// The model for `weightsPath`: the first registered factory's, else the zoo's createModel(spec).
std::shared_ptr<nn::Layer> createModelForWeights(const ModelSpec& spec, const QString& weightsPath);

} // namespace ranklab::models
