#pragma once
// Public header (torch-free): the per-layer (and per-group) sensitivity sweep of paper A §3.2/§4.4.

#include <atomic>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/search/sweep_result.h"
#include "core/train/train_params.h"

namespace ranklab::search {

/// A named group of layers, e.g. paper A's "light" = 1-5 and "heavy" = 16-20 (§3.2, Fig. 5).
struct LayerGroup {
    QString name;   ///< letters, digits, '_' and '-' only (it names the run folder "group-NAME")
    QString layers; ///< a selection as resolveLayerSelection reads it: "1-5", "4,15", "layer3.0.conv2"
};

/// Everything a sweep needs; sweep.json holds it, so a sweep can be resumed or re-run from its folder.
struct SweepParams {
    /// The schedule of the baseline and of every run (epochs, LR, seed, data…). `train.threads` is the
    /// total number of intra-op threads the sweep may use (0: all cores), shared by the workers.
    TrainParams train;
    QString layers = QStringLiteral("all"); ///< layers to sweep (Conv2d only); ignored when `groups` is set
    QVector<LayerGroup> groups;  ///< non-empty: one run per group instead of one run per layer
    basis::BasisSpec basis;      ///< the same basis size/form/init in every run (paper A fixes it too)
    int skipEpochs = 0;          ///< epochs with basis convs (skip, §4.2); 0: basis convs for all epochs
    int workers = 1;             ///< runs trained at the same time
    /// Seeds per run (K ≥ 1): the baseline and every entry train K times, seed s of an entry paired with
    /// seed s of the baseline (train.seed + s; the data subset stays the same), so a drop is the mean of K
    /// paired differences with a 95 % interval and the baseline's seed spread is the noise floor.
    int seeds = 1;
};

/// {"train", "layers", "groups": [{"name", "layers"}], "basis", "skip_epochs", "workers"}, and "seeds" when
/// it is more than one (so sweep folders of one seed written before the option existed still resume).
QJsonObject toJson(const SweepParams& params);
/// Inverse of toJson; missing keys keep the defaults; throws ranklab::Error on invalid basis values.
SweepParams sweepParamsFromJson(const QJsonObject& json);

/// Parses "NAME=SELECTION" as `--group` gives it; throws ranklab::Error with one sentence otherwise.
LayerGroup parseLayerGroup(const QString& text);

/// Runs (or resumes) a sweep into `outDir`:
///   outDir/sweep.json            params + model identity, written first
///   outDir/baseline/             the baseline run (runTraining's run folder)
///   outDir/layer-NN/             one basis-train run per layer (runBasisTraining, that layer only), or
///   outDir/group-NAME/           one per group
///   outDir/RUN-seedS/            with --seeds K > 1: seed S (2..K) of each of the above (seed 1 keeps the name)
///   outDir/sensitivity.csv/.json the table (sensitivityCsv/sensitivityJson), rewritten after every run
/// The units are (entry, seed) pairs, run seed by seed (every entry's first seed before any second one),
/// so a stopped sweep has usable paired drops as early as possible. Every run lands in its own folder as it finishes. Calling runSweep again on the same folder (after a
/// cancel, crash or kill) skips finished runs without touching them, resumes an interrupted run from its
/// last finished epoch (the trainer's resume) and starts the rest. A folder holding a sweep of another
/// model, size, basis or schedule is refused with one sentence before anything is written.
///
/// Workers: `workers` runs train at the same time on threads of this process. The intra-op thread count
/// is split once: every run gets max(1, T / workers) threads, T = train.threads or all cores. LibTorch's
/// OpenMP thread count is a per-calling-thread setting, and each worker thread sets the same share, so
/// workers do not change each other's count. The process-wide random generator is only drawn from
/// while a run starts (seeding, weight init, basis init); workers take turns through that start, so each
/// run's figures are the same as with one worker (models with dropout excepted). Timings measured with
/// several workers include the contention between them; compare times of sweeps with the same workers.
///
/// Progress: `callbacks` are called from worker threads, one call at a time; TrainProgress.fraction and
/// etaSeconds cover the whole sweep, .epoch/.epochs count finished runs / all runs, .step/.stepsPerEpoch
/// are those of the reporting run, .phase names the run ("layer 5 (layer2.0.conv1)"). `cancel` stops
/// every run at its next batch; the folder stays resumable. Returns loadSweep(outDir).
/// Throws ranklab::Error for bad input (empty layer list, a layer that is not a conv, a size a layer
/// cannot realise, a bad group) before anything is written, and rethrows the first run's failure after
/// the other workers stopped.
SweepResult runSweep(const SweepParams& params, const QString& outDir, const TrainCallbacks& callbacks = {},
                     const std::atomic_bool* cancel = nullptr);

/// One unit of a sweep or groups sweep: one seed of the baseline or of one entry, the independent piece of
/// work an executor runs (this process's worker threads, or a task of a Slurm job array).
struct SweepUnit {
    int id = 0;          ///< 0-based, in runSweep's order (seed by seed: baseline, entries, then the next seed)
    QString label;       ///< "baseline", "layer 5 (layer2.0.conv1) seed 2", "group light"
    QString runDir;      ///< its run folder, relative to the sweep folder
    bool baseline = false;
    bool done = false;   ///< its summary.json exists (the completion contract of every run)
};

/// Checks `params` and writes (or checks) outDir/sweep.json exactly as runSweep does, without training
/// anything; returns the units. What an executor calls before it hands the units out. Throws ranklab::Error
/// for bad input, before anything is written.
QVector<SweepUnit> prepareSweep(const SweepParams& params, const QString& outDir);
/// The units of the sweep stored in `dir` (its sweep.json), with their state on disk.
QVector<SweepUnit> sweepUnits(const QString& dir);
/// Trains (or resumes from its checkpoint, or repairs) unit `unit` of the sweep stored in `dir`, with `threads`
/// intra-op threads (0: the sweep's own setting), and rewrites the sensitivity files when it completes. The
/// unit's parameters come from sweep.json, so any process that sees the folder can run it (`ranklab-cli
/// sweep-unit`); units of one sweep may run at the same time in different processes.
TrainSummary runSweepUnit(const QString& dir, int unit, int threads = 0, const TrainCallbacks& callbacks = {},
                          const std::atomic_bool* cancel = nullptr);
/// Finishes a sweep whose units ran elsewhere: once every unit is done, the interleaved per-layer timing
/// (timing.json, measured here with `threads` threads) and the sensitivity files; returns loadSweep(dir), or a
/// partial result listing the pending units while the first baseline is missing.
SweepResult finishSweep(const QString& dir, int threads = 0, const TrainCallbacks& callbacks = {});

} // namespace ranklab::search
