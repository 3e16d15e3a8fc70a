#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include "core/jobs/workspace.h"
#include "ui/plot_data.h"

namespace ranklab::ui {

class LayerTableModel;
class ParetoPlot;
class RonReportView;
class SensitivityPlot;
class SpectraPlot;
class TrainingPlot;

/// Where run folders are drawn: the workspace → plots routing (training curves, sweeps in the Sensitivity
/// and Pareto tabs, spectra, RON report rows) and the per-layer figures runs leave (accuracy drops, VBMF
/// ranks, the cost model's speed-ups), kept for the model they belong to and re-applied to the layer table
/// whenever it shows that model. Reads run folders only through core's readers (workspace_loader.h).
class RunViews final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunViews)
public:
    struct Views {
        TrainingPlot* training = nullptr;
        SensitivityPlot* sensitivity = nullptr;
        ParetoPlot* pareto = nullptr;
        SpectraPlot* spectra = nullptr;
        RonReportView* ron = nullptr;
        LayerTableModel* layers = nullptr;
    };
    RunViews(Views views, QObject* parent);

    /// Clears every view and draws every run of the workspace `root`; the baseline of the training curves
    /// is the most recent finished `train` run of `shownModel` (else of any model). Returns the run count.
    int showWorkspace(const QString& root, const QString& shownModel);
    /// Re-reads the run folder `dir` of the workspace `root`. `notes`: false while a sweep fills in unit by unit
    /// (its pending entries are not news each time).
    void refreshRun(const QString& root, const QString& dir, bool notes = true);
    /// Draws one run in the view of its kind; a damaged folder becomes a note (unless `notes` is false).
    void showRun(const RunEntry& entry, bool notes = true);
    /// A `cost` job's report (basis::CostReport): predicted and, with --measure, measured speed-ups into the
    /// layer table when it shows the report's model.
    void showCost(const QJsonObject& report);
    /// Applies the per-layer figures to the layer table if it shows their model (after a model change).
    void applyLayerFigures();
    /// One epoch of a sweep's run, live: the run's curve is added to the Training tab under the sweep
    /// `sweepDir` (of kind `sweepKind`) when it is new (the baseline's first seed shown and made the baseline),
    /// then the epoch appended.
    void appendSweepEpoch(const QString& sweepDir, const QString& sweepKind, const EpochMetrics& metrics);

Q_SIGNALS:
    /// A line for the log (a damaged run, a sweep's pending entries).
    void note(const QString& line);
    /// A short message for the status bar.
    void status(const QString& message);

private:
    /// The trained runs inside a sweep folder (baseline and entries, every seed) into the Training tab.
    void showSweepRuns(const RunEntry& sweep);

    Views v_;
    QString figuresModel_;
    QHash<int, double> sensitivity_;
    QHash<int, double> sensitivityCi_;
    QHash<int, int> vbmfRanks_;
};

/// train and basis-train: the kinds whose runs are training curves.
bool isTrainingKind(const QString& kind);
/// sweep, groups and proxy-sweep: the kinds whose folders hold training runs (a proxy sweep's baseline).
bool isSweepKind(const QString& kind);
/// The curve of the run `runName` inside the sweep folder `sweepDir` (empty epochs): label "SWEEP · NAME", group
/// and series set, kind train for baselines and basis-train for entries.
RunCurve sweepRunCurve(const QString& sweepDir, const QString& sweepKind, const QString& runName);

} // namespace ranklab::ui
