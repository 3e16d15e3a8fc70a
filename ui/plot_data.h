#pragma once
// Plain ui-side data the plots and tables draw. Filled from live job signals and from run folders
// (workspace_loader.h); no core type beyond EpochMetrics leaks into the widgets.

#include <QString>
#include <QVector>

#include "core/train/train_params.h"

namespace ranklab::ui {

/// One training run's curves (metrics.csv, or the live stream of a running job).
struct RunCurve {
    QString dir;                    ///< run folder: the run's identity
    QString label;                  ///< e.g. "basis-train cifar_resnet18 (20261123-164501)"
    QString kind;                   ///< "train", "basis-train", …
    bool completed = false;         ///< summary.json present
    QVector<EpochMetrics> epochs;   ///< one row per finished epoch
    /// A sweep's run: the sweep folder (runs of one group are listed together) and the run's series, its folder
    /// name without the seed suffix ("baseline", "layer-05"): the shown seeds of one series draw as a band.
    /// Both empty for a run of its own.
    QString group;
    QString series;
    /// Last epoch of the "basis" phase (skip training, paper A §4.2) when a "full" epoch follows it:
    /// the switch happens after this epoch. 0 when the run has no switch.
    int skipBoundary() const;
};

/// One layer's sensitivity (paper A Fig. 9): what replacing only this layer by a basis conv costs and saves.
struct SensitivityRow {
    int index = 0;                  ///< registry index (1-based)
    QString name;
    double accDrop = 0;             ///< baseline top-1 minus top-1 with this layer replaced, percentage points
    double timeDiff = 0;            ///< training time change, percent of the baseline (negative: faster)
    double sizeDiff = 0;            ///< parameter count change, percent of the baseline (negative: smaller)
    double accDropCi = -1;          ///< half-width of accDrop's 95 % interval over the seeds, pp; -1: one seed
    int seeds = 1;                  ///< paired seeds behind accDrop
    /// accDrop's interval excludes zero: the layer differs from the baseline beyond seed noise.
    bool distinguishable() const { return accDropCi >= 0 && (accDrop > accDropCi || accDrop < -accDropCi); }
};

/// One layer combination of a sweep (paper A Fig. 10).
struct ParetoPoint {
    QVector<int> layers;            ///< registry indices, ascending
    double accDrop = 0;             ///< percentage points below the baseline
    double accDropCi = -1;          ///< half-width of accDrop's 95 % interval, pp; -1: unknown (one seed)
    double time = 0;                ///< training time, percent of the baseline
    double size = 0;                ///< model size, percent of the baseline
    bool onTimeFront = false;       ///< on the accuracy-drop / training-time Pareto front
    bool onSizeFront = false;       ///< on the accuracy-drop / model-size Pareto front
    bool measured = false;          ///< trained and measured (true) or a compound estimate (false)
};

/// Singular values of one layer's weight (or activations), largest first (paper B Fig. 1).
struct SpectrumCurve {
    QString layer;
    QVector<double> values;         ///< σ_1 ≥ σ_2 ≥ …, not yet normalised
    int chosenRank = 0;             ///< rank the job chose (VBMF or energy rule); 0: none
};

/// One row of paper B's report table.
struct RonReportRow {
    QString model;
    QString modifiedLayers;
    double accuracy = 0;            ///< teacher top-1, percent
    double accNoFineTune = 0;       ///< student top-1 before fine-tuning, percent
    double accFineTuned = -1;       ///< after fine-tuning, percent; -1: not fine-tuned
    double flopReduction = 0;       ///< teacher FLOPs / student FLOPs
    double cpuSpeedup = 0;          ///< measured CPU inference speed-up; 0: not measured
};

} // namespace ranklab::ui
