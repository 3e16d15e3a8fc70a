#pragma once

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/models/model_spec.h"

namespace ranklab {

/// One conv or linear layer of a model, as the layer registry lists it. Shapes exclude the batch.
struct LayerInfo {
    int index = 0;                ///< 1-based position in forward order — stable for an architecture
    QString name;                 ///< qualified module name, e.g. "layer3.0.conv2"
    QString type;                 ///< "Conv2d", "Linear", …
    QVector<qint64> weightShape;
    QVector<qint64> inShape;      ///< input activation, C × H × W (or features)
    QVector<qint64> outShape;
    qint64 params = 0;            ///< weight + bias elements
    qint64 flops = 0;             ///< 2 × multiply-adds (+ bias adds) for one sample
    qint64 groups = 1;            ///< a conv's groups (= its channels for a depthwise conv); 1 otherwise
};

/// "depthwise" for a conv with groups = input channels > 1, "grouped" for other groups > 1, empty otherwise.
QString groupedConvKind(const LayerInfo& layer);

/// A model's registry and totals. totalFlops sums the listed layers (BatchNorm, ReLU and pooling are
/// not counted); totalParams counts every parameter of the model, BatchNorm's included.
struct ModelInfo {
    ModelSpec spec;
    qint64 totalParams = 0;
    qint64 totalFlops = 0;
    QVector<LayerInfo> layers;
};

/// Builds `spec` and lists its conv/linear layers in forward order (one dry forward of a 1-sample input of
/// spec's size). Throws ranklab::Error if the model cannot be built or cannot run on that input.
ModelInfo describeModel(const ModelSpec& spec);

/// The `info --json` form: {"model", "total_params", "total_flops", "layers": [{"index", "name", …}]}.
QJsonObject modelInfoToJson(const ModelInfo& info);

/// Resolves a layer selection — "all", 1-based indices and ranges ("4,15", "1-5"), qualified names
/// ("layer3.0.conv2"), or a mix — to registry indices in ascending order. Throws ranklab::Error naming
/// the first token that matches no layer. `typeFilter` (e.g. "Conv2d") restricts "all".
QVector<int> resolveLayerSelection(const ModelInfo& info, const QString& selection, const QString& typeFilter = {});

} // namespace ranklab
