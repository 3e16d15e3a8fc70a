#pragma once
// Public header (torch-free): what a sensitivity sweep (paper A §3.2, §4.4, Fig. 9) left on disk.

#include <cmath>

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/models/model_spec.h"

namespace ranklab::search {

/// The three kinds of sweep folder; all share one layout and one result format.
enum class SweepKind {
    Layers, ///< "sweep": one run per layer with basis convs in that layer only (paper A §4.4, Fig. 9)
    Groups, ///< "groups": one run per named group of layers (paper A §3.2 "light" vs "heavy", Fig. 5)
    Proxy,  ///< "proxy-sweep": a training-free proxy of the per-layer sweep (see proxy_sweep.h)
};
/// "sweep", "groups", "proxy-sweep".
QString sweepKindName(SweepKind kind);
/// Inverse of sweepKindName(); throws ranklab::Error for anything else.
SweepKind parseSweepKind(const QString& text);

/// The baseline run of a sweep: every conv a plain Conv2d, same epochs, seed and data as the other runs.
/// With several seeds its figures are means over the finished baseline seeds.
struct SweepBaseline {
    double accuracy = 0;   ///< final top-1 in [0, 1] on the sweep's split (sweepSplitName: validation or test)
    double loss = 0;       ///< final loss (cross-entropy) on the same split
    double seconds = 0;    ///< training wall time, seconds (training part of the epochs; evaluation excluded)
    qint64 params = 0;     ///< parameters of the model
    QString runDir;        ///< folder name relative to the sweep folder ("baseline")
    double testAccuracy = 0; ///< the test split's top-1 (reported; equals accuracy without a validation split)
    /// Final accuracy of each seed (index = seed), NaN for a seed not finished yet.
    QVector<double> seedAccuracies;
    /// The noise floor: the sample standard deviation of the baseline's accuracy over its seeds, in [0, 1]
    /// units; -1 with fewer than two finished seeds.
    double accuracySd = -1;
};

/// The figures of one sweep entry — one layer (Layers/Proxy) or one group (Groups) — the three panels of
/// paper A Fig. 9. Deltas are "entry − baseline": a negative accDrop means the entry beat the baseline,
/// a negative secondsDelta that it trained faster, a negative paramsDelta that the model is smaller.
struct LayerSensitivity {
    int index = 0;          ///< registry index (1-based) of the layer; for a group its 1-based position in the list
    QString name;           ///< qualified layer name ("layer2.0.conv1") or the group's name ("light")
    QVector<int> layers;    ///< registry indices that carried basis convs (one for a layer sweep)
    double accuracy = 0;    ///< final top-1 in [0, 1] on the sweep's split (validation or test, sweepSplitName)
    double accDrop = 0;     ///< baseline accuracy − accuracy
    double loss = 0;        ///< final loss on the same split
    double seconds = 0;     ///< training wall time, seconds (proxy: predicted, see secondsPredicted)
    double secondsDelta = 0;///< seconds − baseline seconds
    qint64 params = 0;      ///< parameters while training with basis convs (the basis phase's model)
    qint64 paramsDelta = 0; ///< params − baseline params
    bool secondsPredicted = false; ///< true when `seconds` is a cost-model prediction, not a measurement
    double score = 0;       ///< the value this entry is ranked by: accDrop for trained sweeps; the proxy's score
    double reconstructionError = -1; ///< ‖W − Coef·B‖_F/‖W‖_F of the basis approximation; -1 when unknown
    QString runDir;         ///< run folder (or proxy result file) relative to the sweep folder (its first seed)
    /// Seeds behind the figures: with K seeds, accuracy, seconds and the deltas are means over the seeds s
    /// whose entry run and baseline run both finished, and accDrop the mean of the paired differences
    /// (baseline_s − entry_s).
    int seeds = 1;
    /// The test split's top-1, for the report, when accuracy and accDrop come from the validation split; equal
    /// to accuracy without one; -1 for a proxy entry.
    double testAccuracy = -1;
    /// Training-time change predicted from the interleaved per-layer timing (timing.json): (basis − dense)
    /// forward+backward seconds per batch of the entry's layers × the basis phase's batches. Same kernels,
    /// same machine state on both sides; `secondsDelta` (wall clock, entry run − baseline run) stays beside it.
    double secondsDeltaTimed = 0;
    bool timed = false;     ///< secondsDeltaTimed was measured
    double accDropSd = -1;  ///< sample standard deviation of the paired differences; -1 with fewer than two
    /// Half-width of accDrop's 95 % interval; -1 with one seed. Uses the variance of the paired differences
    /// pooled over the sweep's entries (poolDropIntervals), not this entry's alone.
    double accDropCi = -1;
    /// accDrop's 95 % interval excludes zero: the entry differs from the baseline beyond seed noise.
    bool distinguishable() const { return accDropCi >= 0 && std::abs(accDrop) > accDropCi; }
};

/// A sweep folder as read back: parameters, baseline, finished entries, and what could not be used.
struct SweepResult {
    QString dir;                   ///< the sweep folder as given
    SweepKind kind = SweepKind::Layers;
    ModelSpec model;               ///< the model as the sweep asked for it (channels/size 0: from the data)
    QString dataset;               ///< data set name
    basis::BasisSpec basis;        ///< basis size, β, form and init of every entry (the basis method)
    /// The layer method swept when it is not basis convolutions: {"id": "prune", "ratio": 0.3}; empty for basis.
    QJsonObject method;
    int epochs = 0;                ///< training epochs of every run
    int skipEpochs = 0;            ///< epochs with basis convs (== epochs: basis convs to the end)
    int seeds = 1;                 ///< seeds per run the sweep asked for (SweepParams::seeds)
    /// Accuracies, drops and losses are the validation split's (the sweep trained with --val-subset): the
    /// split that chooses is not the one that reports. False: they are the test split's.
    bool onValidation = false;
    QJsonObject params;            ///< sweep.json's "params" (SweepParams or ProxySweepParams as JSON)
    SweepBaseline baseline;
    QVector<LayerSensitivity> entries; ///< finished entries in registry (or group) order
    int plannedEntries = 0;        ///< entries sweep.json plans, finished or not (L of the mean rule)
    /// Every finished entry has a timed delta (timing.json): the Pareto time objective uses them.
    bool timed = false;
    QStringList pending;           ///< planned entries with no finished run yet ("layer 5 (layer2.0.conv1)")
    QStringList problems;          ///< one sentence per entry whose files are corrupt or foreign; left out
    bool complete() const { return pending.isEmpty() && problems.isEmpty(); }
};

/// Mean, sample standard deviation and 95 % interval half-width (Student t with n − 1 degrees of freedom) of
/// `values`; sd and halfWidth are -1 for fewer than two values.
struct SampleStats {
    int n = 0;
    double mean = 0, sd = -1, halfWidth = -1;
};
SampleStats sampleStats(const QVector<double>& values);
/// Replaces each entry's interval (accDropCi, for entries with ≥ 2 seeds) by one from the variance of the paired
/// differences pooled over all entries: s_p² = Σ(n_l − 1)s_l² / Σ(n_l − 1), half-width t₀.₉₇₅,Σ(n_l−1)·s_p/√n_l.
/// Seed noise is the same training noise for every layer, and with a few seeds an entry's own variance is
/// nearly unknown (with 2 seeds, 1 degree of freedom; on accuracies quantised to 1/N, two equal differences
/// would give a zero-width interval). loadSweep applies it.
void poolDropIntervals(QVector<LayerSensitivity>& entries);

/// The 0.975 quantile of Student's t with `dof` degrees of freedom (exact table to 30, then 1.96 + 2.4/dof).
double tQuantile975(int dof);

/// The time change an estimate uses for `entry`: the interleaved timing's when the sweep has it (`timed`),
/// else the wall-clock difference of the two runs.
double timeDelta(const SweepResult& sweep, const LayerSensitivity& entry);

/// Which split the sweep's accuracies and drops come from: "validation", "test" or "proxy evaluation images".
QString sweepSplitName(const SweepResult& result);

/// What a sweep can and cannot tell, in one sentence for the screen and the CLI.
struct SweepVerdict {
    int entries = 0;        ///< finished entries
    int separated = 0;      ///< entries whose 95 % interval excludes zero
    bool canTell = false;   ///< at least one entry is told apart from the baseline's noise
    QString sentence;
};
/// The smallest number of entries out of `entries` whose 95 % interval must exclude zero before that is more
/// than chance: the least k with P(Binomial(entries, 0.05) ≥ k) ≤ 0.05 (20 entries: 4; 4 entries: 2; 1: 1).
int chanceThreshold(int entries);

/// The verdict of `result`: with one seed, that drops carry no interval; with several, how many entries
/// differ from the baseline beyond their interval — and, when that is no more than chance gives among so many
/// intervals (chanceThreshold), that the sweep cannot tell its layers apart at this budget (and a front built
/// on it would be noise).
SweepVerdict sweepVerdict(const SweepResult& result);

/// Reads the sweep in `dir` (sweep.json, the baseline's and every entry's summary). Entries whose run
/// has not finished go to `pending`; entries whose files are unreadable, incomplete or from another
/// model/size go to `problems` with one sentence each and are left out — never counted. Throws
/// ranklab::Error with one sentence when `dir` holds no sweep (missing or corrupt sweep.json) or when the
/// baseline run has not finished or is corrupt (no sensitivity can be computed without it). With several
/// seeds the first baseline seed must have finished; unfinished (entry, seed) units go to `pending` and an
/// entry is listed once at least one of its seeds is paired with a finished baseline seed.
SweepResult loadSweep(const QString& dir);

/// The sensitivity table as CSV: header "index,name,layers,accuracy,acc_drop,seconds,seconds_delta,params,
/// params_delta,score,reconstruction_error,run_dir,seeds,acc_drop_ci,status", a "baseline" row (index 0) first, then one row
/// per finished entry (status "done"); layers are space-separated indices. A partial sweep ends with one row
/// per entry not yet run (status "pending", name = its label) and per entry left out as unreadable (status
/// "unreadable", name = the sentence saying why), their figures empty.
QByteArray sensitivityCsv(const SweepResult& result);
/// The same as JSON: {"kind", "model", "dataset", "basis", "epochs", "skip_epochs", "baseline": {...},
/// "entries": [{"index", "name", "layers", "accuracy", "acc_drop", "seconds", "seconds_delta", "params",
/// "params_delta", "seconds_predicted", "score", "reconstruction_error", "run_dir", "seeds", "acc_drop_sd",
/// "acc_drop_ci", "distinguishable"}], "pending", "problems", "seeds", "verdict": sweepVerdict's sentence};
/// the baseline also holds "accuracy_sd" (-1: one seed).
QJsonObject sensitivityJson(const SweepResult& result);

/// Spearman's rank correlation of two equally long samples (average ranks for ties; Pearson correlation
/// of the ranks). Returns NaN for fewer than two values or when either sample is constant.
double spearmanRho(const QVector<double>& a, const QVector<double>& b);

} // namespace ranklab::search
