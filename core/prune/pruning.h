#pragma once
// Public header (torch-free): L1-norm filter pruning, the channel-pruning baseline RON stacks on (paper B
// Table 4, "RON on top of pruned networks").

#include <atomic>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/train/train_params.h"

namespace ranklab::prune {

/// `ranklab-cli prune`: Li, Kadav, Durdanovic, Samet & Graf 2016 ("Pruning Filters for Efficient ConvNets",
/// ICLR 2017). In every selected prunable conv (core/models/channel_plan.h: all convs of VGG and LeNet-5, the
/// first conv of each ResNet block) the filters with the smallest L1 norm Σ|W_i,:,:,:| are removed — a
/// fraction `ratio` of them, floor(ratio·C_out), at least one filter kept — together with their BatchNorm
/// channels and the next layer's matching input kernels. Norms are taken on the trained weights of each
/// layer independently (Li et al. §3.2, "independent pruning"), then the network is fine-tuned.
struct PruneParams {
    TrainParams train;   ///< model, data and the fine-tuning schedule; train.initWeights = the trained weights
    int finetuneEpochs = 0; ///< 0: no fine-tuning (train.epochs is replaced by this)
    double ratio = 0.3;  ///< fraction of filters removed per selected conv, in (0, 1)
    QString layers = QStringLiteral("all"); ///< selection (registry indices/names); "all": every prunable conv
};

/// One pruned conv.
struct PrunedLayer {
    int index = 0;      ///< registry index in the unpruned model
    QString name;
    qint64 before = 0, after = 0; ///< output channels
};

/// What a pruning reports (report.json).
struct PruneReport {
    QString status;      ///< completed | cancelled (fine-tuning stopped; --resume continues it)
    QString model;
    double ratio = 0;
    QString channels;    ///< the pruned model's ModelSpec::channels ("conv1=3,conv2=8")
    QVector<PrunedLayer> layers;
    qint64 paramsBefore = 0, paramsAfter = 0;
    qint64 flopsBefore = 0, flopsAfter = 0; ///< one sample, forward
    double top1Before = 0, top1Pruned = 0; ///< test accuracy in [0,1] of the trained and the pruned weights
    double top1Finetuned = -1;             ///< after fine-tuning; -1: none ran
    int finetuneEpochs = 0;
    QString weights;     ///< the file to use next (fine-tuned if fine-tuning ran)
};
QJsonObject toJson(const PruneReport& report);
PruneReport pruneReportFromJson(const QJsonObject& json);

/// Runs (or, with `resume`, continues the fine-tuning of) a pruning into `outDir`: pruned.rlk (the pruned
/// weights before fine-tuning; ModelSpec::channels in its params), finetune/ (a run folder) and
/// report.json (toJson(PruneReport)), written atomically when done. Throws ranklab::Error with one sentence
/// for a missing weights file, weights of another model, a ratio outside (0, 1), a model without prunable
/// convs, or a selected layer that cannot be pruned — before anything is written.
PruneReport runPrune(const PruneParams& params, const QString& outDir, bool resume, const TrainCallbacks& callbacks = {},
                     const std::atomic_bool* cancel = nullptr);

} // namespace ranklab::prune
