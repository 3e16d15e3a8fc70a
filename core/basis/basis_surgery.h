#pragma once
// Internal header (torch types): putting basis convolutions into a model and composing them back.

#include <string>
#include <unordered_map>

#include <torch/torch.h>

#include <QString>
#include <QStringList>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/models/layers.h"
#include "core/models/registry.h"

namespace ranklab::basis {

/// Replaces the Conv2d layers at the given registry indices (1-based, as describeModel/describeModule
/// number them in forward order) by BasisConv2d layers built by `spec` from their current weights (paper A
/// §3.1). BatchNorm, ReLU, residual paths and every other layer stay as they are; the registry of the
/// modified model lists each basis conv at its old index. All layers are checked and built before the
/// first one is replaced, so on error the model is unchanged. Throws ranklab::Error with one sentence for
/// an index the registry does not have, a layer that is not a Conv2d (or already a basis conv), or a spec
/// a layer cannot realise. Returns one report per layer, in index order.
QVector<BasisLayerReport> insertBasisConvs(nn::Layer& model, const ModelInfo& registry, const QVector<int>& indices,
                                           const BasisSpec& spec);

/// As above with a layer selection as resolveLayerSelection() reads it — "all" (every Conv2d), indices,
/// ranges, qualified names ("layer3.0.conv2") or a mix.
QVector<BasisLayerReport> insertBasisConvs(nn::Layer& model, const ModelInfo& registry, const QString& selection,
                                           const BasisSpec& spec);

/// What composeBackAll() did.
struct ComposeBackResult {
    QStringList layers; ///< qualified names of the composed layers, in module order
    /// Momentum buffers for the composed convs' parameters, keyed by qualified parameter name
    /// ("layer1.0.conv1.weight", "….bias"), ready for train::Sgd::resetParameters(…, initialBuffers):
    /// BasisConv2d::composeVelocity() of the given buffers. Empty when no momentum was given.
    std::unordered_map<std::string, torch::Tensor> momentum;
};

/// Replaces every BasisConv2d in `model` by its composeBack() Conv2d (exact: same outputs), the end of
/// the "skip" phase of paper A §4.2. `momentum` maps qualified parameter names (as
/// model.named_parameters() gives them, e.g. train::Sgd::momentumBuffers()) to momentum buffers; the
/// buffers of the basis convs are mapped to the full weight space (see BasisConv2d::composeVelocity).
ComposeBackResult composeBackAll(nn::Layer& model,
                                 const std::unordered_map<std::string, torch::Tensor>& momentum = {});

/// The model a weights file with basis convolutions holds (a basis-train run's weights.rlk trained to its last epoch
/// in the basis phase, or its checkpoint.rlk): the zoo model `spec` with a BasisConv2d wherever the file has
/// "<conv>.basis" — of the file's basis count, pair count and form (its meta's or params.json's "job", else
/// pair where copies/pairs are stored and output otherwise) — ready for io::loadWeights. nullptr when the file
/// is not a RankLab checkpoint with basis convolutions.
std::shared_ptr<nn::Layer> basisModelForWeights(const ModelSpec& spec, const QString& weightsPath);

/// Registers basisModelForWeights with models::registerStructuredModelFactory (so eval and export load such a
/// file) and the basis convolution's TorchScript forward (io::registerScriptForward). Idempotent;
/// registerBuiltinKinds() calls it.
void registerBasisModels();

} // namespace ranklab::basis
