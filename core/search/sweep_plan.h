#pragma once
// Internal header (torch-free): turning sweep parameters into the list of runs, shared by the trained
// sweep and the proxy sweep.

#include <QJsonObject>
#include <QVector>

#include "core/basis/skip_training.h"
#include "core/models/registry.h"
#include "core/search/sweep.h"

namespace ranklab::search::plan {

/// One entry of a sweep: a layer (or a group of layers) that gets basis convs in its own run.
struct PlannedEntry {
    int index = 0;          ///< registry index, or the group's 1-based position
    QString name;           ///< layer or group name
    QVector<int> layers;    ///< registry indices with basis convs
    QString runDir;         ///< relative to the sweep folder
    basis::BasisTrainParams job; ///< the run's parameters (threads: the sweep's total; set per worker)
};

struct SweepPlan {
    SweepKind kind = SweepKind::Layers;
    int skipEpochs = 0;     ///< resolved: 1..epochs
    ModelInfo registry;
    QVector<PlannedEntry> entries;
    /// Layers "all" left out, each as the sentence that refuses it (depthwise convs: basis::groupedConvRefusal).
    QStringList leftOut;
};

/// Validates `params` and resolves the layers/groups against the model's registry; throws ranklab::Error
/// with one sentence for anything a run would fail on (nothing is written).
SweepPlan planSweep(const SweepParams& params);

/// `model` with channels/size 0 replaced by the architecture's natural input.
ModelSpec naturalSpec(const ModelSpec& model);
/// describeModel(naturalSpec(model)).
ModelInfo describeForSweep(const ModelSpec& model);

/// The sweep.json object (see files::writeOrCheckSweepFile); `withJobs` stores each entry's basis-train
/// parameters so loadSweep can tell a foreign run folder.
QJsonObject sweepFileJson(SweepKind kind, const TrainParams& train, const basis::BasisSpec& basisSpec, int skipEpochs,
                          const QJsonObject& params, const QVector<PlannedEntry>& entries, bool withJobs);

/// The time that means something (issue 13), per entry: the forward + backward time of its layers as plain
/// convs and as basis convs (`basisSpec`), measured interleaved (dense, basis, dense, basis, …; median of 15
/// rounds) at the runs' batch and input shape through the same kernel path (nn::convolve), scaled to the
/// `basisEpochs` epochs' batches: {"batch", "threads", "rounds", "entries": [{"index", "dense_seconds",
/// "basis_seconds", "steps", "seconds_delta"}]} (timing.json of a sweep, proxy/timing.json of a proxy sweep).
QJsonObject timeEntries(const TrainParams& train, const basis::BasisSpec& basisSpec, const QVector<PlannedEntry>& entries,
                        int basisEpochs, int threads);

/// Intra-op threads per worker: max(1, T / workers), T = totalThreads or all cores when 0.
int threadShare(int totalThreads, int workers);

} // namespace ranklab::search::plan
