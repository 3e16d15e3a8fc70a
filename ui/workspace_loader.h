#pragma once
// Reading a workspace's run folders into the plain data the plots draw (ARCHITECTURE.md "Workspace on
// disk": the disk is the source of truth, so a reopened workspace shows the same pictures).

#include <QHash>
#include <QString>
#include <QVector>

#include "core/jobs/workspace.h"
#include "ui/plot_data.h"

namespace ranklab::ui {

/// "basis-train cifar_resnet18 · 2026-11-23 16:45:01" from a run folder named <timestamp>-<kind>-<name>.
QString runLabel(const QString& dir, const QString& kind);

/// The curves of a training run (train, basis-train): metrics.csv if present (an interrupted run shows
/// its finished epochs), completed from summary.json. Throws ranklab::Error for a malformed metrics.csv.
RunCurve loadRunCurve(const RunEntry& run);

/// What a sweep folder shows: the sensitivity bars, every combination (or a sample) for the Pareto
/// scatter with both fronts marked, and the per-layer accuracy drop for the layer table.
struct SweepView {
    QString title;
    QString model;                      ///< architecture the sweep ran on
    QVector<SensitivityRow> rows;
    QVector<ParetoPoint> points;
    QHash<int, double> accDropByLayer;  ///< percentage points, layer sweeps only
    QHash<int, double> accDropCiByLayer;///< 95 % half-widths in pp (layers with several seeds only)
    QStringList notes;                  ///< pending entries and problems, one sentence each
    QString verdict;                    ///< search::sweepVerdict's sentence: can the sweep tell its layers apart?
    bool separates = false;             ///< at least one entry differs from the baseline beyond its interval
};
/// Reads the sweep in `dir` (search::loadSweep). Combinations: all 2^L for L ≤ `maxEnumerate`
/// entries, otherwise the exact fronts plus `sampleCount` random combinations (fixed seed). Estimates use
/// the sum rule (baseline + the chosen entries' deltas), the default everywhere (`pareto --rule`); their
/// intervals add the entries' variances. Throws ranklab::Error as loadSweep does.
SweepView loadSweepView(const QString& dir, int maxEnumerate = 12, int sampleCount = 4000);

/// The spectra of a spectrum run (spectrum.json); `vbmfRanks`, when given, receives each layer's EVBMF rank
/// by registry index. Throws ranklab::Error for a missing or malformed file.
QVector<SpectrumCurve> loadSpectrum(const QString& dir, QHash<int, int>* vbmfRanks = nullptr);

/// The report row of a RON run (report.json) of `model` (empty: the folder's name stands in). Throws
/// ranklab::Error for a missing or malformed file.
RonReportRow loadRonReport(const QString& dir, const QString& model = {});

} // namespace ranklab::ui
