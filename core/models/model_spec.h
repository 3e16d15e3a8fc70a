#pragma once

#include <QString>
#include <QStringList>

namespace ranklab {

/// A zoo architecture and its construction options. Torch-free; travels through GUI, CLI and params.json.
struct ModelSpec {
    QString name = QStringLiteral("cifar_resnet18"); ///< one of zooModelNames()
    int numClasses = 10;
    int inChannels = 3;
    int inputSize = 32;   ///< H = W of the input the registry's shapes are computed for
    double width = 1.0;   ///< width multiplier: channel and hidden sizes scaled by it (at least 1)
    /// Narrower convs left by filter pruning, "features.0=45,features.3=90" (name = kept output channels);
    /// empty: the architecture's widths. createModel() builds them; see core/models/channel_plan.h.
    QString channels;
};

/// The architectures createModel() knows, in display order.
QStringList zooModelNames();

/// `name` with its natural input: lenet* 1×28×28 (MNIST-like), cifar_* 3×32×32, ImageNet models
/// 3×224×224 with 1000 classes.
ModelSpec defaultModelSpec(const QString& name);

} // namespace ranklab
