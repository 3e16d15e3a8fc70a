#pragma once
// A compression method that can be applied to chosen conv layers of a trained network — what the
// training-free layer sweep (`proxy-sweep`, the per-layer sensitivity analysis of Li et al. 2016, Distiller
// and NNCF) sweeps: apply the method to one layer, evaluate without retraining, put the layer back.
// Methods live in their own room (basis/, prune/) and register a factory here, from
// registerBuiltinKinds(); search/ sweeps any registered method by its id. Internal (torch).

#include <functional>
#include <memory>

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/models/layers.h"
#include "core/models/registry.h"

namespace ranklab {

class LayerMethod {
public:
    virtual ~LayerMethod() = default;
    /// "basis", "prune".
    virtual QString id() const = 0;
    /// For plots and logs: "basis size 0.5 (pair form)", "L1 filter pruning, ratio 0.3".
    virtual QString describe() const = 0;
    /// {"id", …options}: recorded in sweep.json (with "title": describe() for the plots), so a folder of
    /// another method or option is refused.
    virtual QJsonObject toJson() const = 0;
    /// Empty when the method can change `layer` of `model`; otherwise one sentence saying why not.
    virtual QString refusal(nn::Layer& model, const LayerInfo& layer) const = 0;
    /// Applies the method to `layers` (registry indices) of the trained `model`, in place. Returns the
    /// relative weight error of the first layer (‖W − W'‖_F/‖W‖_F of what the layer now computes with).
    virtual double apply(nn::Layer& model, const ModelInfo& registry, const QVector<int>& layers) const = 0;
    /// Change of forward+backward multiply-adds of `model` (unchanged) when `layer` is changed, given the
    /// sweep's per-layer cost `cost(index)` (n0f+n0b of a conv, 2·in·out of a linear layer): negative = a saving.
    virtual double costDelta(nn::Layer& model, const ModelSpec& spec, const ModelInfo& registry, const LayerInfo& layer,
                             const std::function<double(int index)>& cost) const = 0;
};

/// Builds a method from its options (the "options" of toJson(), without "id"); OptionError on bad ones.
using LayerMethodFactory = std::function<std::unique_ptr<LayerMethod>(const QJsonObject& options)>;

/// Registers `factory` under `id` (once; a second registration of an id is ignored).
void registerLayerMethod(const QString& id, LayerMethodFactory factory);
/// The registered method ids, in registration order.
QStringList layerMethodIds();
/// The method `id` with `options`; OptionError naming the known ids for an unknown one.
std::unique_ptr<LayerMethod> createLayerMethod(const QString& id, const QJsonObject& options);

} // namespace ranklab
