#pragma once

#include <functional>

#include <QJsonObject>
#include <QString>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"

namespace ranklab {

/// `ranklab-cli eval`: a weights file, a model to hold it, a data set's test split.
struct EvalParams {
    ModelSpec model;           ///< inChannels/inputSize 0: taken from the data
    QString weights;           ///< RankLab checkpoint, PyTorch state dict or TorchScript archive
    DataSpec data;
    int batchSize = 512;
    int threads = 0;
    QString predictionsCsv;    ///< optional: one row per test sample (index, label, predicted, logits…)
};

/// Test-split figures; accuracies in [0,1], loss is the mean cross-entropy.
struct EvalResult {
    double top1 = 0, top5 = 0, loss = 0;
    qint64 samples = 0;
};
QJsonObject toJson(const EvalResult& result);
EvalResult evalResultFromJson(const QJsonObject& json);

/// Loads the data and the weights, evaluates, optionally writes the predictions file (atomically).
/// `log`, when given, receives what loading did to make the file fit (io::LoadedWeights::notes).
/// Throws ranklab::Error with one sentence on bad input.
EvalResult evaluateWeights(const EvalParams& params, const std::function<void(const QString&)>& log = {});

/// Sets LibTorch's intra-op thread count (0: all cores), for work outside the trainer.
void setThreadCount(int threads);

/// Resolves a model spec against the data it will see: a model without explicit input channels / size
/// takes the data's; explicit ones make the data replicate grayscale / resize (DataSpec::channels/resize).
/// Call before loading (adjusts `data`) with `dataChannels`/`dataSize` < 0, and after (fills `model`).
void resolveModelAndData(ModelSpec& model, DataSpec& data, int dataChannels = -1, int dataSize = -1);

} // namespace ranklab
