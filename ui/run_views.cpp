#include "ui/run_views.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include "core/basis/cost_model.h"
#include "core/error.h"
#include "ui/layer_table_model.h"
#include "ui/pareto_plot.h"
#include "ui/ron_report_view.h"
#include "ui/sensitivity_plot.h"
#include "ui/spectra_plot.h"
#include "ui/training_plot.h"
#include "ui/workspace_loader.h"

namespace ranklab::ui {

bool isTrainingKind(const QString& kind)
{
    return kind == QLatin1String("train") || kind == QLatin1String("basis-train");
}

bool isSweepKind(const QString& kind)
{
    return kind == QLatin1String("sweep") || kind == QLatin1String("groups") || kind == QLatin1String("proxy-sweep");
}

RunCurve sweepRunCurve(const QString& sweepDir, const QString& sweepKind, const QString& runName)
{
    RunCurve curve;
    curve.dir = QDir(QDir(sweepDir).filePath(runName)).absolutePath();
    curve.kind = runName.startsWith(QLatin1String("baseline")) ? QStringLiteral("train") : QStringLiteral("basis-train");
    curve.label = QStringLiteral("%1 · %2").arg(runLabel(sweepDir, sweepKind), runName);
    curve.group = QDir(sweepDir).absolutePath();
    static const QRegularExpression seedSuffix(QStringLiteral("-seed\\d+$"));
    curve.series = QString(runName).remove(seedSuffix);
    return curve;
}

RunViews::RunViews(Views views, QObject* parent) : QObject(parent), v_(views)
{
}

int RunViews::showWorkspace(const QString& root, const QString& shownModel)
{
    v_.training->clear();
    figuresModel_.clear();
    sensitivity_.clear();
    sensitivityCi_.clear();
    vbmfRanks_.clear();
    applyLayerFigures();
    v_.sensitivity->setRows({}, {});
    v_.pareto->setPoints({});
    v_.pareto->setVerdict({}, true);
    v_.spectra->setCurves({}, {});
    v_.ron->setRows({});
    const QVector<RunEntry> runs = Workspace(root).runs();
    for (const RunEntry& run : runs)
        showRun(run);
    // The most recent plain training run is the natural baseline of the curves; one of the model the panel
    // shows first (a workspace holding a LeNet teacher and ResNet runs compares the ResNets with each other).
    QString baseline;
    for (auto it = runs.crbegin(); it != runs.crend(); ++it)
        if (it->kind == QLatin1String("train") && it->completed) {
            if (it->model == shownModel) {
                baseline = it->dir;
                break;
            }
            if (baseline.isEmpty())
                baseline = it->dir;
        }
    if (!baseline.isEmpty())
        v_.training->setBaseline(baseline);
    return int(runs.size());
}

void RunViews::refreshRun(const QString& root, const QString& dir, bool notes)
{
    for (const RunEntry& e : Workspace(root).runs())
        if (e.dir == QDir(dir).absolutePath())
            showRun(e, notes);
}

void RunViews::showRun(const RunEntry& entry, bool notes)
{
    const QString& dir = entry.dir;
    const QString& kind = entry.kind;
    try {
        if (isTrainingKind(kind)) {
            v_.training->setRun(loadRunCurve(entry));
        } else if (kind == QLatin1String("sweep") || kind == QLatin1String("groups") || kind == QLatin1String("proxy-sweep")) {
            const SweepView view = loadSweepView(dir);
            v_.sensitivity->setRows(view.rows, view.title + QLatin1Char('\n') + view.verdict);
            v_.pareto->setPoints(view.points);
            v_.pareto->setVerdict(view.verdict, view.separates);
            if (!view.accDropByLayer.isEmpty()) {
                if (figuresModel_ != view.model)
                    vbmfRanks_.clear();
                figuresModel_ = view.model;
                sensitivity_ = view.accDropByLayer;
                sensitivityCi_ = view.accDropCiByLayer;
                applyLayerFigures();
            }
            for (const QString& line : view.notes)
                if (notes)
                    Q_EMIT note(line);
            showSweepRuns(entry);
        } else if (kind == QLatin1String("spectrum") && entry.completed) {
            QHash<int, int> ranks;
            v_.spectra->setCurves(loadSpectrum(dir, &ranks), runLabel(dir, kind));
            if (figuresModel_ != entry.model) {
                sensitivity_.clear();
                sensitivityCi_.clear();
            }
            figuresModel_ = entry.model;
            vbmfRanks_ = ranks;
            applyLayerFigures();
        } else if (kind == QLatin1String("ron") && entry.completed) {
            QVector<RonReportRow> rows = v_.ron->rows();
            rows.push_back(loadRonReport(dir, entry.model));
            v_.ron->setRows(rows);
        }
    } catch (const Error& e) {
        if (notes)
            Q_EMIT note(tr("%1: %2").arg(QFileInfo(dir).fileName(), QString::fromUtf8(e.what())));
    }
}

void RunViews::showSweepRuns(const RunEntry& sweep)
{
    // Every trained run of a sweep (baseline and entries, every seed) is a training run of its own: its
    // curves go to the Training tab, listed under the sweep's label and not ticked (a 20-layer sweep with 3
    // seeds has 63 of them); the first baseline seed is ticked so the sweep's schedule shows at once, and the
    // ticked seeds of one run draw as a band around their mean.
    const QDir root(sweep.dir);
    for (const QString& name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const QDir run(root.filePath(name));
        if (!QFileInfo::exists(run.filePath(QStringLiteral("metrics.csv"))))
            continue;
        RunEntry e;
        e.dir = run.absolutePath();
        RunCurve shape = sweepRunCurve(sweep.dir, sweep.kind, name);
        e.kind = shape.kind;
        e.completed = QFileInfo::exists(run.filePath(QStringLiteral("summary.json")));
        try {
            RunCurve curve = loadRunCurve(e);
            curve.label = shape.label;
            curve.group = shape.group;
            curve.series = shape.series;
            v_.training->setRun(curve, name == QLatin1String("baseline"));
        } catch (const Error& err) {
            Q_EMIT note(tr("%1/%2: %3").arg(QFileInfo(sweep.dir).fileName(), name, QString::fromUtf8(err.what())));
        }
    }
}

void RunViews::appendSweepEpoch(const QString& sweepDir, const QString& sweepKind, const EpochMetrics& metrics)
{
    if (metrics.runDir.isEmpty())
        return;
    if (!v_.training->runs().contains(metrics.runDir)) {
        const QString name = QFileInfo(metrics.runDir).fileName();
        RunCurve curve = sweepRunCurve(sweepDir, sweepKind, name);
        curve.dir = metrics.runDir;
        const bool firstBaseline = name == QLatin1String("baseline");
        v_.training->setRun(curve, firstBaseline);
        if (firstBaseline && v_.training->baseline().isEmpty())
            v_.training->setBaseline(curve.dir);
    }
    v_.training->appendEpoch(metrics.runDir, metrics);
}

void RunViews::showCost(const QJsonObject& report)
{
    // The cost model's figures belong to the layers: the predicted pair-form speed-up for the job's size and
    // β replaces the panel's default (size 0.5, β = 0), and --measure fills the measured column. A report of
    // another architecture than the one in the table stays in the Reports tab only.
    const basis::CostReport cost = basis::costReportFromJson(report);
    if (cost.model != v_.layers->modelInfo().spec.name)
        return;
    QHash<int, double> predicted, measured;
    for (const basis::LayerCost& c : cost.layers) {
        predicted.insert(c.index, c.predictedSpeedup);
        if (c.secondsPair > 0 && c.secondsConv > 0)
            measured.insert(c.index, c.secondsConv / c.secondsPair);
    }
    v_.layers->setSpeedups(predicted);
    v_.layers->setMeasuredSpeedups(measured);
    Q_EMIT status(tr("cost model: size %1, β %2%3 — shown in the layer table")
                      .arg(cost.size)
                      .arg(cost.beta)
                      .arg(measured.isEmpty() ? QString() : tr(", measured")));
}

void RunViews::applyLayerFigures()
{
    const bool same = v_.layers->modelInfo().spec.name == figuresModel_;
    v_.layers->setSensitivity(same ? sensitivity_ : QHash<int, double>());
    v_.layers->setSensitivityIntervals(same ? sensitivityCi_ : QHash<int, double>());
    v_.layers->setVbmfRanks(same ? vbmfRanks_ : QHash<int, int>());
}

} // namespace ranklab::ui
