#pragma once

#include <functional>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"

namespace ranklab {

/// Checks --device: "cpu" passes; "cuda" / "cuda:N" is refused with one sentence (OptionError) naming why — this
/// LibTorch has no CUDA (Debian's is CPU-only), there is no device N, or the trainer does not run on CUDA yet — and
/// anything else is not a device. Called by runJob for every kind that takes --device.
void checkComputeDevice(const QString& device);

/// Everything one training run needs; params.json holds exactly this (plus the version), so a run can be
/// re-run from its folder. Defaults follow paper A's pipeline (SGD, momentum 0.9, wd 5e-4, LR 0.1, cosine).
struct TrainParams {
    ModelSpec model;           ///< inChannels/inputSize 0: taken from the data
    DataSpec data;
    int epochs = 10;
    int batchSize = 128;
    int evalBatchSize = 512;
    double lr = 0.1;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    QString schedule = QStringLiteral("cosine"); ///< cosine (T_max = epochs, per epoch) | constant
    quint64 seed = 0;
    bool deterministic = false; ///< deterministic algorithms only (same results run to run, maybe slower)
    int threads = 0;            ///< intra-op threads; 0: all cores
    QString initWeights;        ///< optional weights file (any format io::readStateDict knows) to start from
    /// First epoch to train (0-based): epochs [0, startEpoch) are skipped and training starts with the learning
    /// rate the schedule gives at startEpoch, as paper A §4.3 trains "from skip = 0.7" of a schedule. Metrics
    /// rows keep their position in the whole schedule (the first row is epoch startEpoch + 1).
    int startEpoch = 0;
};

/// The model and the data of every parameter file (params.json, sweep.json, the RON student's structure): one
/// writer and one reader each. Missing keys keep the defaults; ModelSpec::channels is written only when set.
QJsonObject toJson(const ModelSpec& model);
ModelSpec modelSpecFromJson(const QJsonObject& json);
QJsonObject toJson(const DataSpec& data);
DataSpec dataSpecFromJson(const QJsonObject& json);

QJsonObject toJson(const TrainParams& params);
/// Inverse of toJson; missing keys keep their defaults. Throws ranklab::Error on wrong types.
TrainParams trainParamsFromJson(const QJsonObject& json);

/// One row of metrics.csv: the figures of one finished epoch.
struct EpochMetrics {
    int epoch = 0;                ///< 1-based
    QString phase = QStringLiteral("train"); ///< e.g. "basis" / "full" for skip training (paper A §4.2)
    double lr = 0;                ///< learning rate used during this epoch
    double trainLoss = 0, trainTop1 = 0;
    double testLoss = 0, testTop1 = 0, testTop5 = 0; ///< accuracies in [0,1]
    double trainSeconds = 0;      ///< wall time of the training part of the epoch
    double evalSeconds = 0;
    double imagesPerSecond = 0;   ///< training images / trainSeconds
    /// The run folder that trained this epoch, on live reports (a sweep trains many runs in one job); empty when
    /// read back from metrics.csv, which lives in that folder.
    QString runDir;
};

/// Live progress of a job, reported at least once per batch.
struct TrainProgress {
    int epoch = 0, epochs = 0;    ///< epoch 1-based
    qint64 step = 0, stepsPerEpoch = 0;
    double fraction = 0;          ///< of the whole run, in [0,1]
    double etaSeconds = -1;       ///< -1 while unknown
    double batchLoss = 0;
    QString phase;
};

/// What a finished (or stopped) run reports; summary.json holds the completed ones.
struct TrainSummary {
    QString status;               ///< completed | cancelled
    int epochsDone = 0;
    double finalTestTop1 = 0, finalTestTop5 = 0, finalTestLoss = 0;
    double bestTestTop1 = 0;
    /// Top-1 and loss of the final model on the validation split (DataSpec::valSubset); -1 without one.
    double finalValTop1 = -1, finalValLoss = -1;
    double trainSeconds = 0;      ///< sum over epochs (training part only)
    double totalSeconds = 0;
    qint64 params = 0;
    QString weightsPath;          ///< final weights (RankLab format)
    QVector<EpochMetrics> history;
    QJsonObject extra;            ///< job-specific figures (per-phase times, …)
};
QJsonObject toJson(const TrainSummary& summary);
/// Inverse of toJson: keys it does not know go to `extra`; missing keys keep the defaults (history stays empty).
TrainSummary trainSummaryFromJson(const QJsonObject& json);
/// The summary of a finished run folder: summary.json, with `history` from its metrics.csv. Throws
/// ranklab::Error naming the file for a missing or malformed one.
TrainSummary readTrainSummary(const QString& runDir);

/// Hooks a job passes to the trainer; all are called on the training thread and may be empty.
struct TrainCallbacks {
    std::function<void(const TrainProgress&)> progress;
    std::function<void(const EpochMetrics&)> epochDone;
    std::function<void(const QString&)> log;
};

} // namespace ranklab
