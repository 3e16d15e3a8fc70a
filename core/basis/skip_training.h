#pragma once

#include <atomic>

#include <QJsonObject>
#include <QString>

#include "core/basis/basis_spec.h"
#include "core/train/train_params.h"

namespace ranklab::basis {

/// `ranklab-cli basis-train`: training with skip (paper A §4.2). Epochs [0, skipEpochs) train with basis
/// convolutions in `layers`; at epoch skipEpochs every basis conv is composed back into a Conv2d of the
/// original shape and training continues to the last epoch with the learning-rate schedule untouched.
struct BasisTrainParams {
    TrainParams train;          ///< the whole schedule (epochs, LR, …); train.initWeights is --init-from
    QString layers;             ///< selection as resolveLayerSelection reads it: "4,15", "layer3.0.conv2", "all"
    BasisSpec basis;
    int skipEpochs = 1;         ///< in [1, epochs]; = epochs trains with basis convs to the end
};

QJsonObject toJson(const BasisTrainParams& params);

/// Runs (or resumes) skip training into `outDir`, with the run-folder contract of runTraining(); the
/// metrics rows carry phase "basis" before the switch and "full" after it, and summary.json adds
/// per-phase training time ("basis_seconds", "full_seconds"), parameter counts ("basis_params",
/// "full_params"), the switch epoch and the per-layer basis reports.
///
/// Optimizer state at the switch: the SGD momentum of each composed Conv2d weight is the differential of
/// W = Coef·B along the basis-space momenta, dW = dCoef·B + Coef·dB (BasisConv2d::composeVelocity), so
/// the weight keeps moving the way it moved before the switch; every other parameter keeps its buffer.
/// Throws ranklab::Error for a skip outside [1, epochs], a layer that is not a conv, or a basis spec a
/// layer cannot realise — before anything is written.
TrainSummary runBasisTraining(const BasisTrainParams& params, const QString& outDir, bool resume,
                              const TrainCallbacks& callbacks = {}, const std::atomic_bool* cancel = nullptr);

} // namespace ranklab::basis
