#pragma once
// Public header (torch-free): compound estimates of layer combinations and their Pareto front
// (paper A §3.2 "Sensitivity of Compound Model", §4.4 Fig. 10; ALGORITHMS.md §2).

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/search/sweep_result.h"

namespace ranklab::search {

/// The second objective of the front; the first is always the accuracy drop.
enum class Objective {
    Time, ///< "time": training wall time
    Size, ///< "size": model parameters (during the basis phase)
};
QString objectiveName(Objective objective);
Objective parseObjective(const QString& text); ///< throws ranklab::Error naming "time" and "size"

/// How per-entry sweep figures combine into an estimate for a combination S of entries.
enum class CompoundRule {
    /// "mean", the paper's rule (§3.2): every entry l of the sweep contributes its own run's figures if
    /// l ∈ S and the baseline's otherwise, and the figures are averaged over all L entries:
    ///   drop(S) = Σ_{l∈S} drop_l / L,  time(S) = T_base + Σ_{l∈S} (T_l − T_base) / L,  same for size.
    Mean,
    /// "sum", sum of deltas: drop(S) = Σ_{l∈S} drop_l, time(S) = T_base + Σ_{l∈S} ΔT_l, size likewise
    /// (exact for the size: parameter changes of distinct layers add up).
    Sum,
};
QString ruleName(CompoundRule rule);
CompoundRule parseRule(const QString& text); ///< throws ranklab::Error naming "mean" and "sum"

/// Estimated figures of one combination of sweep entries.
struct CompoundEstimate {
    QVector<int> layers;   ///< the combination: LayerSensitivity::index of each chosen entry, ascending
    double accDrop = 0;    ///< estimated accuracy drop vs the baseline (accuracy units, [0,1] scale)
    double accuracy = 0;   ///< baseline accuracy − accDrop
    double seconds = 0;    ///< estimated training time, seconds
    double params = 0;     ///< estimated parameters (a mean over entries need not be whole)
    /// Half-width of accDrop's 95 % interval from the entries' intervals (variances add; the mean rule
    /// divides by L): -1 when an entry has none (one seed); 0 for the empty combination (the baseline).
    double accDropCi = -1;
    CompoundRule rule = CompoundRule::Mean;
};

/// L of the mean rule: the entries the sweep planned (sweep.json), finished or not — not only the finished
/// ones, which would change every estimate as a stopped sweep fills in.
int consideredEntries(const SweepResult& sweep);

/// The estimate of the combination `indices` (LayerSensitivity::index values; order and repeats do not
/// matter) by `rule`. Throws ranklab::Error naming an index the sweep has no finished entry for.
CompoundEstimate compoundEstimate(const SweepResult& sweep, const QVector<int>& indices, CompoundRule rule);

/// How the exact front is computed.
enum class FrontMethod {
    Auto,      ///< "auto": enumeration for L ≤ kMaxEnumerateLayers, frontier merge above
    Enumerate, ///< "enumerate": all 2^L combinations in Gray-code order, sums updated by one entry per step
    Merge,     ///< "merge": frontier merge over entries (knapsack-style DP, ALGORITHMS.md §2)
};
QString methodName(FrontMethod method);
FrontMethod parseMethod(const QString& text); ///< throws ranklab::Error naming the three names

constexpr int kMaxEnumerateLayers = 24;
constexpr int kMaxMergeLayers = 256;

/// One point of a front over additive items, in the integer units the front was computed in.
struct FrontPoint {
    QVector<int> items;   ///< positions (0-based) of the chosen items, ascending
    qint64 drop = 0;      ///< Σ drop of the items
    qint64 cost = 0;      ///< Σ cost of the items
};

/// The exact Pareto front of all 2^L subsets of L items, minimising (Σ cost, Σ drop); the empty set is a
/// subset. Sums are integers (fixed point) so that both methods see bit-identical sums: enumeration and
/// merge return the identical front. A subset is on the front when no other subset has cost ≤ and drop ≤
/// with one of them strictly smaller; among subsets with identical sums the one with fewer items is kept,
/// then the one whose sorted item list is lexicographically smaller. Points are sorted by cost ascending
/// (so drop descending). Throws ranklab::Error for Enumerate with L > kMaxEnumerateLayers, for L >
/// kMaxMergeLayers, or for drop and cost of different lengths.
QVector<FrontPoint> paretoFrontOf(const QVector<qint64>& drop, const QVector<qint64>& cost, FrontMethod method);

/// A front over a sweep's finished entries.
struct ParetoFront {
    Objective objective = Objective::Time;
    CompoundRule rule = CompoundRule::Mean;
    FrontMethod method = FrontMethod::Enumerate; ///< the method actually used (never Auto)
    int entryCount = 0;                   ///< L: entries the front was taken over
    QVector<CompoundEstimate> points;     ///< non-dominated combinations, objective ascending
};

/// Resolution of the fixed-point sums: accuracy drop in 1e-9 accuracy units, time in microseconds,
/// size in parameters (already whole). Finer differences than these count as ties.
constexpr double kDropResolution = 1e-9;
constexpr double kSecondsResolution = 1e-6;

/// The Pareto front of accuracy drop vs `objective` over all combinations of the sweep's finished
/// entries (paper A Fig. 10). Both rules are positive affine maps of the same per-entry deltas, so they
/// select the same combinations; `rule` sets the figures reported. Throws ranklab::Error when the sweep
/// has no finished entries, or as paretoFrontOf().
ParetoFront paretoFront(const SweepResult& sweep, Objective objective, CompoundRule rule,
                        FrontMethod method = FrontMethod::Auto);

/// The point with the smallest objective (the most time or size saved) among those with an estimated
/// accuracy drop ≤ `maxDrop`; -1 when none qualifies. `front.points` must be sorted as paretoFront gives them.
int bestUnderMaxDrop(const ParetoFront& front, double maxDrop);
/// The reverse query: the point with the smallest estimated drop among those whose objective (seconds or
/// parameters, in the rule's figures) is ≤ `maxObjective`; -1 when none qualifies.
int bestUnderMaxObjective(const ParetoFront& front, double maxObjective);

/// {"layers": [..], "acc_drop", "accuracy", "time", "size", "rule"}.
QJsonObject toJson(const CompoundEstimate& estimate);
/// Inverse of toJson; throws ranklab::Error for an unknown rule.
CompoundEstimate compoundEstimateFromJson(const QJsonObject& json);
/// `pareto --json`: {"baseline": {"accuracy", "time", "size", "run_dir"}, "objective", "rule", "method",
/// "entries", "front": [toJson(point) …]}.
QJsonObject toJson(const ParetoFront& front, const SweepBaseline& baseline);
/// One row per front point: "layers,acc_drop,accuracy,time,size" (layers space-separated).
QByteArray frontCsv(const ParetoFront& front);

} // namespace ranklab::search
