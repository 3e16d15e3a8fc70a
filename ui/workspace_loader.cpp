#include "ui/workspace_loader.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <random>
#include <set>

#include "core/error.h"
#include "core/ron/ron_job.h"
#include "core/search/pareto.h"
#include "core/train/metrics_file.h"

namespace ranklab::ui {

QString runLabel(const QString& dir, const QString& kind)
{
    const QString folder = QFileInfo(dir).fileName();
    static const QRegularExpression stamp(QStringLiteral("^(\\d{8}-\\d{6})-(.*)$"));
    const auto m = stamp.match(folder);
    if (!m.hasMatch())
        return folder;
    QString rest = m.captured(2);
    if (!kind.isEmpty() && rest.startsWith(kind + QLatin1Char('-')))
        rest = kind + QLatin1Char(' ') + rest.mid(kind.size() + 1);
    const QDateTime when = QDateTime::fromString(m.captured(1), QStringLiteral("yyyyMMdd-HHmmss"));
    return QStringLiteral("%1 · %2").arg(rest, when.toString(QStringLiteral("MM-dd HH:mm:ss")));
}

RunCurve loadRunCurve(const RunEntry& run)
{
    RunCurve c;
    c.dir = run.dir;
    c.kind = run.kind;
    c.label = runLabel(run.dir, run.kind);
    c.completed = run.completed;
    const QString metrics = QDir(run.dir).filePath(QStringLiteral("metrics.csv"));
    if (QFileInfo::exists(metrics))
        c.epochs = readMetricsCsv(metrics);
    return c;
}

QVector<SpectrumCurve> loadSpectrum(const QString& dir, QHash<int, int>* vbmfRanks)
{
    const ron::SpectrumReport report = ron::readSpectrumReport(dir);
    QVector<SpectrumCurve> out;
    for (const ron::LayerSpectrum& l : report.layers) {
        SpectrumCurve c;
        c.layer = QStringLiteral("%1 %2").arg(l.index).arg(l.name);
        c.values = QVector<double>(l.singularValues.begin(), l.singularValues.end());
        c.chosenRank = int(l.vbmfRank);
        if (vbmfRanks)
            vbmfRanks->insert(l.index, c.chosenRank);
        out.push_back(c);
    }
    return out;
}

RonReportRow loadRonReport(const QString& dir, const QString& model)
{
    const ron::RonReport r = ron::readRonReport(dir);
    RonReportRow row;
    row.model = model.isEmpty() ? runLabel(dir, QStringLiteral("ron")) : model;
    row.modifiedLayers = QStringLiteral("%1 (%2 to %3)").arg(r.modifiedLayers, r.firstName, r.lastName);
    row.accuracy = 100 * r.teacherTop1;
    row.accNoFineTune = 100 * r.studentTop1;
    row.accFineTuned = r.finetunedTop1 >= 0 ? 100 * r.finetunedTop1 : -1;
    row.flopReduction = r.totalFlopReduction;
    row.cpuSpeedup = r.speedup1;
    return row;
}

SweepView loadSweepView(const QString& dir, int maxEnumerate, int sampleCount)
{
    const search::SweepResult sweep = search::loadSweep(dir);
    SweepView view;
    const search::SweepBaseline& base = sweep.baseline;
    // A sweep of another layer method names it ("L1 filter pruning, ratio 0.3"); older folders are basis sweeps.
    const QString method = sweep.method.isEmpty()
        ? QStringLiteral("basis size %1 (%2)").arg(sweep.basis.size).arg(basis::formName(sweep.basis.form))
        : sweep.method.value(QStringLiteral("title")).toString(sweep.method.value(QStringLiteral("id")).toString());
    view.title = QStringLiteral("%1 %2 · %3 entries · %4 · baseline top-1 %5 % (%6)")
                     .arg(search::sweepKindName(sweep.kind), sweep.model.name)
                     .arg(sweep.entries.size())
                     .arg(method)
                     .arg(100 * base.accuracy, 0, 'f', 2)
                     .arg(search::sweepSplitName(sweep) + (sweep.kind == search::SweepKind::Proxy ? QString() : QStringLiteral(" split")));
    if (sweep.seeds > 1)
        view.title += base.accuracySd >= 0
                          ? QStringLiteral(" ± %1 (sd) · %2 seeds, paired").arg(100 * base.accuracySd, 0, 'f', 2).arg(sweep.seeds)
                          : QStringLiteral(" · %1 seeds, paired").arg(sweep.seeds);
    view.model = sweep.model.name;
    view.notes = sweep.pending + sweep.problems;
    const search::SweepVerdict verdict = search::sweepVerdict(sweep);
    view.verdict = verdict.sentence;
    view.separates = verdict.canTell;
    const double baseSeconds = base.seconds > 0 ? base.seconds : 1;
    const double baseParams = base.params > 0 ? double(base.params) : 1;
    QHash<int, QVector<int>> layersOf;
    for (const search::LayerSensitivity& e : sweep.entries) {
        // Time: the interleaved per-layer timing when the sweep has it (same kernels, same machine state), else wall clock.
        view.rows.push_back({e.index, e.name, 100 * e.accDrop, 100 * search::timeDelta(sweep, e) / baseSeconds, 100 * e.paramsDelta / baseParams,
                             e.accDropCi >= 0 ? 100 * e.accDropCi : -1, e.seeds});
        layersOf.insert(e.index, e.layers);
        if (sweep.kind != search::SweepKind::Groups) {
            view.accDropByLayer.insert(e.index, 100 * e.accDrop);
            if (e.accDropCi >= 0)
                view.accDropCiByLayer.insert(e.index, 100 * e.accDropCi);
        }
    }
    const int n = int(sweep.entries.size());
    if (n == 0)
        return view;

    // Which entry combinations to show: all of them, or the fronts plus a seeded random sample.
    std::set<std::vector<int>> combos;
    auto entriesOf = [](const QVector<int>& indices) { return std::vector<int>(indices.begin(), indices.end()); };
    const search::ParetoFront timeFront = search::paretoFront(sweep, search::Objective::Time, search::CompoundRule::Sum);
    const search::ParetoFront sizeFront = search::paretoFront(sweep, search::Objective::Size, search::CompoundRule::Sum);
    std::set<std::vector<int>> onTime, onSize;
    for (const search::CompoundEstimate& p : timeFront.points)
        onTime.insert(entriesOf(p.layers));
    for (const search::CompoundEstimate& p : sizeFront.points)
        onSize.insert(entriesOf(p.layers));
    if (n <= maxEnumerate) {
        for (quint64 mask = 0; mask < (quint64(1) << n); ++mask) {
            std::vector<int> c;
            for (int i = 0; i < n; ++i)
                if (mask & (quint64(1) << i))
                    c.push_back(sweep.entries[i].index);
            combos.insert(c);
        }
    } else {
        combos.insert(onTime.begin(), onTime.end());
        combos.insert(onSize.begin(), onSize.end());
        std::mt19937_64 rng(20240229);
        std::bernoulli_distribution coin(0.5);
        for (int k = 0; k < sampleCount; ++k) {
            std::vector<int> c;
            for (int i = 0; i < n; ++i)
                if (coin(rng))
                    c.push_back(sweep.entries[i].index);
            combos.insert(c);
        }
    }
    for (const std::vector<int>& c : combos) {
        const QVector<int> indices(c.begin(), c.end());
        const search::CompoundEstimate est = search::compoundEstimate(sweep, indices, search::CompoundRule::Sum);
        ParetoPoint p;
        for (int i : indices)
            p.layers += layersOf.value(i);
        std::sort(p.layers.begin(), p.layers.end());
        p.layers.erase(std::unique(p.layers.begin(), p.layers.end()), p.layers.end());
        p.accDrop = 100 * est.accDrop;
        p.accDropCi = est.accDropCi >= 0 ? 100 * est.accDropCi : -1;
        p.time = 100 * est.seconds / baseSeconds;
        p.size = 100 * est.params / baseParams;
        p.onTimeFront = onTime.count(c) > 0;
        p.onSizeFront = onSize.count(c) > 0;
        p.measured = indices.size() == 1;
        view.points.push_back(p);
    }
    return view;
}

} // namespace ranklab::ui
