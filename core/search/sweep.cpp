#include "core/search/sweep.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QThread>

#include "core/basis/basis_conv.h"
#include "core/basis/layer_timing.h"
#include "core/basis/skip_training.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/folder_lock.h"
#include "core/models/registry.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/train/evaluate.h"
#include "core/search/sweep_files.h"
#include "core/search/sweep_plan.h"
#include "core/train/metrics_file.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"

namespace ranklab::search {

namespace {
using Clock = std::chrono::steady_clock;

QString indexList(const QVector<int>& indices)
{
    QStringList parts;
    for (int i : indices)
        parts.push_back(QString::number(i));
    return parts.join(QLatin1Char(','));
}

QJsonArray toJsonArray(const QVector<int>& v)
{
    QJsonArray a;
    for (int x : v)
        a.append(x);
    return a;
}

/// One unit of the sweep: one seed of the baseline or of one entry.
struct PlannedRun {
    QString label;   ///< "baseline", "layer 5 (layer2.0.conv1)", "group light", "… seed 2"
    QString dir;     ///< absolute run folder
    bool baseline = false;
    basis::BasisTrainParams basisParams; ///< the run's parameters (the baseline uses only .train)
};

/// Thread-safe aggregation of the runs' progress into sweep-wide progress and serialized callbacks.
class SweepProgress final {
public:
    SweepProgress(const TrainCallbacks& callbacks, int totalRuns, int finishedBefore)
        : callbacks_(callbacks), total_(totalRuns), finished_(finishedBefore), finishedBefore_(finishedBefore),
          current_(size_t(totalRuns), 0.0), start_(Clock::now())
    {
    }

    void log(const QString& line)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (callbacks_.log)
            callbacks_.log(line);
    }

    void runProgress(int run, const QString& label, const TrainProgress& p)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        current_[size_t(run)] = p.fraction;
        if (!callbacks_.progress)
            return;
        double inFlight = 0;
        for (double f : current_)
            inFlight += f;
        TrainProgress out = p;
        out.epoch = finished_;
        out.epochs = total_;
        out.fraction = std::min(1.0, (finished_ + inFlight) / total_);
        // Rate from the work done in this call only (runs finished before it took no time here).
        const double doneHere = finished_ - finishedBefore_ + inFlight;
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        out.etaSeconds = doneHere > 0.02 ? elapsed / doneHere * (total_ - finished_ - inFlight) : -1;
        out.phase = label;
        callbacks_.progress(out);
    }

    void runFinished(int run)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        current_[size_t(run)] = 0;
        ++finished_;
    }

    void epochDone(const EpochMetrics& m)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (callbacks_.epochDone)
            callbacks_.epochDone(m);
    }

private:
    const TrainCallbacks& callbacks_;
    std::mutex mutex_;
    int total_, finished_, finishedBefore_;
    std::vector<double> current_;
    Clock::time_point start_;
};

SweepResult partialResult(const QString& dir, SweepKind kind, const QVector<PlannedRun>& runs)
{
    SweepResult r;
    r.dir = dir;
    r.kind = kind;
    for (const PlannedRun& run : runs)
        if (!QFileInfo::exists(QDir(run.dir).filePath(files::kSummaryFile)))
            r.pending.push_back(run.label);
    return r;
}

} // namespace

QJsonObject toJson(const SweepParams& params)
{
    QJsonArray groups;
    for (const LayerGroup& g : params.groups)
        groups.append(QJsonObject{{QStringLiteral("name"), g.name}, {QStringLiteral("layers"), g.layers}});
    QJsonObject json{{QStringLiteral("train"), toJson(params.train)},
                     {QStringLiteral("layers"), params.layers},
                     {QStringLiteral("groups"), groups},
                     {QStringLiteral("basis"), basis::toJson(params.basis)},
                     {QStringLiteral("skip_epochs"), params.skipEpochs},
                     {QStringLiteral("workers"), params.workers}};
    if (params.seeds != 1) // absent for one seed: sweep folders written before the option still resume
        json.insert(QStringLiteral("seeds"), params.seeds);
    return json;
}

SweepParams sweepParamsFromJson(const QJsonObject& json)
{
    SweepParams p;
    p.train = trainParamsFromJson(json.value(QStringLiteral("train")).toObject());
    p.layers = json.value(QStringLiteral("layers")).toString(p.layers);
    for (const QJsonValue& g : json.value(QStringLiteral("groups")).toArray())
        p.groups.push_back(LayerGroup{g.toObject().value(QStringLiteral("name")).toString(),
                                      g.toObject().value(QStringLiteral("layers")).toString()});
    p.basis = basis::basisSpecFromJson(json.value(QStringLiteral("basis")).toObject());
    p.skipEpochs = json.value(QStringLiteral("skip_epochs")).toInt(p.skipEpochs);
    p.workers = json.value(QStringLiteral("workers")).toInt(p.workers);
    p.seeds = json.value(QStringLiteral("seeds")).toInt(p.seeds);
    return p;
}

LayerGroup parseLayerGroup(const QString& text)
{
    const int eq = int(text.indexOf(QLatin1Char('=')));
    if (eq <= 0 || eq == text.size() - 1)
        throw OptionError(QStringLiteral("a group is NAME=LAYERS (e.g. light=1-5), not '%1'.").arg(text));
    LayerGroup g{text.left(eq).trimmed(), text.mid(eq + 1).trimmed()};
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_-]+$"));
    if (!valid.match(g.name).hasMatch())
        throw Error(QStringLiteral("group name '%1' may hold only letters, digits, '_' and '-'.").arg(g.name));
    return g;
}

namespace plan {

SweepPlan planSweep(const SweepParams& params)
{
    if (params.workers < 1)
        throw Error(QStringLiteral("the number of workers must be at least 1, not %1.").arg(params.workers));
    if (params.train.epochs < 1)
        throw Error(QStringLiteral("the number of epochs must be at least 1, not %1.").arg(params.train.epochs));
    if (params.seeds < 1)
        throw OptionError(QStringLiteral("--seeds must be at least 1 (each run trained once), not %1.").arg(params.seeds));
    if (params.skipEpochs < 0 || params.skipEpochs > params.train.epochs)
        throw Error(QStringLiteral("--skip must be from 1 to the number of epochs (%1), not %2.")
                        .arg(params.train.epochs)
                        .arg(params.skipEpochs));
    basis::validateBasisSpec(params.basis);

    SweepPlan plan;
    plan.kind = params.groups.isEmpty() ? SweepKind::Layers : SweepKind::Groups;
    plan.skipEpochs = params.skipEpochs == 0 ? params.train.epochs : params.skipEpochs;
    plan.registry = describeForSweep(params.train.model);
    const auto checkConvs = [&](const QVector<int>& indices, const QString& what) {
        if (indices.isEmpty())
            throw OptionError(QStringLiteral("%1 selects no conv layer; the sweep needs at least one.").arg(what));
        for (int index : indices) {
            const LayerInfo& layer = plan.registry.layers[index - 1];
            if (layer.type != QLatin1String("Conv2d"))
                throw OptionError(QStringLiteral("layer %1 (%2) is a %3; basis convolutions replace Conv2d layers only.")
                                .arg(index)
                                .arg(layer.name, layer.type));
            if (layer.groups != 1)
                throw OptionError(basis::groupedConvRefusal(layer));
            basis::validateBasisSpec(params.basis, layer.weightShape.value(0), layer.name);
        }
    };
    if (plan.kind == SweepKind::Layers) {
        QVector<int> indices = resolveLayerSelection(plan.registry, params.layers, QStringLiteral("Conv2d"));
        // "all" means every conv that can take a basis: depthwise convs (MobileNetV2) are left out; named, refused.
        if (params.layers.trimmed().compare(QLatin1String("all"), Qt::CaseInsensitive) == 0)
            indices.erase(std::remove_if(indices.begin(), indices.end(),
                                         [&](int i) {
                                             const QString refusal = basis::groupedConvRefusal(plan.registry.layers[i - 1]);
                                             if (!refusal.isEmpty())
                                                 plan.leftOut << refusal;
                                             return !refusal.isEmpty();
                                         }),
                          indices.end());
        checkConvs(indices, QStringLiteral("the layer list '%1'").arg(params.layers));
        for (int index : indices)
            plan.entries.push_back(PlannedEntry{index, plan.registry.layers[index - 1].name, {index},
                                                files::layerRunDir(index), {}});
    } else {
        QStringList names;
        for (int g = 0; g < params.groups.size(); ++g) {
            const LayerGroup& group = parseLayerGroup(params.groups[g].name + QLatin1Char('=') + params.groups[g].layers);
            if (names.contains(group.name))
                throw Error(QStringLiteral("group '%1' is given twice.").arg(group.name));
            names.push_back(group.name);
            const QVector<int> indices = resolveLayerSelection(plan.registry, group.layers, QStringLiteral("Conv2d"));
            checkConvs(indices, QStringLiteral("group '%1'").arg(group.name));
            plan.entries.push_back(PlannedEntry{g + 1, group.name, indices, files::groupRunDir(group.name), {}});
        }
    }
    for (PlannedEntry& e : plan.entries) {
        e.job.train = params.train;
        e.job.layers = indexList(e.layers);
        e.job.basis = params.basis;
        e.job.skipEpochs = plan.skipEpochs;
    }
    return plan;
}

ModelSpec naturalSpec(const ModelSpec& model)
{
    // Channels and size 0 mean "from the data"; the conv layers' indices, names and output channels do
    // not depend on them, so the registry is listed at the architecture's natural input.
    ModelSpec spec = model;
    const ModelSpec natural = defaultModelSpec(model.name);
    if (spec.inChannels <= 0)
        spec.inChannels = natural.inChannels;
    if (spec.inputSize <= 0)
        spec.inputSize = natural.inputSize;
    return spec;
}

ModelInfo describeForSweep(const ModelSpec& model)
{
    return describeModel(naturalSpec(model));
}

QJsonObject sweepFileJson(SweepKind kind, const TrainParams& train, const basis::BasisSpec& basisSpec, int skipEpochs,
                          const QJsonObject& params, const QVector<PlannedEntry>& entries, bool withJobs)
{
    QJsonArray list;
    for (const PlannedEntry& e : entries) {
        QJsonObject o{{QStringLiteral("index"), e.index},
                      {QStringLiteral("name"), e.name},
                      {QStringLiteral("layers"), toJsonArray(e.layers)},
                      {QStringLiteral("run_dir"), e.runDir}};
        if (withJobs)
            o.insert(QStringLiteral("job"), basis::toJson(e.job));
        list.append(o);
    }
    return QJsonObject{{QStringLiteral("kind"), sweepKindName(kind)},
                       {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                       {QStringLiteral("model"), files::modelIdentity(train.model)},
                       {QStringLiteral("dataset"), train.data.name},
                       {QStringLiteral("basis"), basis::toJson(basisSpec)},
                       {QStringLiteral("epochs"), train.epochs},
                       {QStringLiteral("skip_epochs"), skipEpochs},
                       {QStringLiteral("params"), params},
                       {QStringLiteral("entries"), list}};
}

QJsonObject timeEntries(const TrainParams& train, const basis::BasisSpec& basisSpec, const QVector<PlannedEntry>& entries,
                        int basisEpochs, int threads)
{
    ModelSpec model = train.model;
    DataSpec data = train.data;
    resolveModelAndData(model, data);
    const data::DatasetSplits splits = data::loadDataset(data);
    resolveModelAndData(model, data, splits.outChannels, splits.train.height());
    const ModelInfo info = describeModel(model);
    auto network = models::createModel(model);
    const int64_t batch = train.batchSize;
    const qint64 stepsPerEpoch = (splits.train.size() + batch - 1) / batch;
    const qint64 steps = stepsPerEpoch * basisEpochs;
    setThreadCount(threads);
    constexpr int kRounds = 15;
    QJsonArray list;
    for (const PlannedEntry& e : entries) {
        double dense = 0, basisTime = 0;
        for (int index : e.layers) {
            const LayerInfo& layer = info.layers[index - 1];
            auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*network, layer.name.toStdString()));
            if (!conv)
                throw Error(QStringLiteral("layer %1 (%2) is not a Conv2d; it cannot be timed.").arg(index).arg(layer.name));
            basis::BasisConv2d replacement(*conv, basisSpec, layer.name.toStdString());
            const std::vector<int64_t> shape{batch, layer.inShape.value(0), layer.inShape.value(1), layer.inShape.value(2)};
            const auto rounds = basis::interleavedForwardBackwardSeconds({conv.get(), &replacement}, shape, kRounds, 2);
            dense += basis::medianOf(rounds[0]);
            basisTime += basis::medianOf(rounds[1]);
        }
        list.append(QJsonObject{{QStringLiteral("index"), e.index},
                                {QStringLiteral("dense_seconds"), dense},
                                {QStringLiteral("basis_seconds"), basisTime},
                                {QStringLiteral("steps"), double(steps)},
                                {QStringLiteral("seconds_delta"), (basisTime - dense) * double(steps)}});
    }
    return QJsonObject{{QStringLiteral("batch"), double(batch)},
                       {QStringLiteral("threads"), threads},
                       {QStringLiteral("rounds"), kRounds},
                       {QStringLiteral("entries"), list}};
}

int threadShare(int totalThreads, int workers)
{
    const int total = totalThreads > 0 ? totalThreads : std::max(1, QThread::idealThreadCount());
    return std::max(1, total / std::max(1, workers));
}

} // namespace plan

namespace {

/// The first sentence of an Error, without its final period (to be embedded in a log line).
QString reason(const std::exception& e)
{
    QString what = QString::fromUtf8(e.what());
    if (what.endsWith(QLatin1Char('.')))
        what.chop(1);
    return what;
}

/// Renames `path` to `path.damaged` (replacing an older one), so that nothing is deleted.
void moveAside(const QString& path)
{
    const QString target = path + QStringLiteral(".damaged");
    QFile::remove(target);
    if (!QFile::rename(path, target))
        throw Error(QStringLiteral("cannot move the damaged file %1 aside; delete it and resume again.").arg(path));
}

/// Before a sweep resumes, each run folder is checked file by file: a damaged run is re-run instead of
/// being counted as finished (or stopping the sweep). What can be rebuilt from a good checkpoint is
/// (summary.json, model.rlk: the run resumes after its last epoch and writes them again); a damaged
/// checkpoint or metrics.csv restarts the run from scratch; a damaged params.json moves the whole folder
/// aside. Damaged files are renamed `NAME.damaged`, never deleted. Returns a log line, or "" when the run
/// folder is sound (or empty).
QString repairRunFolder(const QString& runDir, const QString& label)
{
    const QDir dir(runDir);
    if (!dir.exists())
        return {};
    const QString params = dir.filePath(files::kParamsFile), summary = dir.filePath(files::kSummaryFile);
    const QString checkpoint = dir.filePath(QStringLiteral("checkpoint.rlk")), metrics = dir.filePath(QStringLiteral("metrics.csv"));
    const QString weights = dir.filePath(QStringLiteral("model.rlk"));
    if (QFileInfo::exists(params)) {
        try {
            io::readJsonObject(params);
        } catch (const std::exception& e) {
            QString aside = runDir + QStringLiteral(".damaged");
            QDir(aside).removeRecursively();
            if (!QDir().rename(runDir, aside))
                throw Error(QStringLiteral("cannot move the damaged run folder %1 aside; delete it and resume again.").arg(runDir));
            return QStringLiteral("%1: %2; moved its folder aside to %3 and re-running it from scratch")
                .arg(label, reason(e), aside);
        }
    }
    QStringList damaged;
    bool fromScratch = false;
    const auto check = [&](const QString& path, const std::function<void()>& read, bool needsRestart) {
        if (!QFileInfo::exists(path))
            return;
        try {
            read();
        } catch (const std::exception& e) {
            damaged << reason(e);
            fromScratch = fromScratch || needsRestart;
        }
    };
    check(checkpoint, [&] { io::readCheckpoint(checkpoint); }, true);
    check(metrics, [&] { readMetricsCsv(metrics); }, true);
    check(summary, [&] {
        const QJsonObject o = io::readJsonObject(summary);
        for (const char* key : {"final_test_top1", "final_test_loss", "train_seconds"}) {
            const double v = o.value(QLatin1String(key)).toDouble(std::nan(""));
            if (!std::isfinite(v))
                throw Error(QStringLiteral("%1 has no number %2").arg(summary, QLatin1String(key)));
        }
        if (o.value(QStringLiteral("status")).toString() != QLatin1String("completed"))
            throw Error(QStringLiteral("%1 does not say the run completed").arg(summary));
    }, false);
    check(weights, [&] { io::readCheckpoint(weights); }, false);
    if (damaged.isEmpty())
        return {};
    // Without a checkpoint a damaged summary or model cannot be rebuilt: the run starts again.
    if (!QFileInfo::exists(checkpoint))
        fromScratch = true;
    const QStringList rebuilt = fromScratch ? QStringList{summary, weights, checkpoint, metrics} : QStringList{summary, weights};
    for (const QString& path : rebuilt)
        if (QFileInfo::exists(path))
            moveAside(path);
    return QStringLiteral("%1: %2; moved the damaged files aside (*.damaged) and re-running it %3")
        .arg(label, damaged.join(QStringLiteral("; ")),
             fromScratch ? QStringLiteral("from scratch") : QStringLiteral("from its last checkpoint"));
}

/// The sweep's time that means something (issue 13): plan::timeEntries written to timing.json once every run
/// has finished; loadSweep reads it.
void writeTiming(const SweepParams& params, const plan::SweepPlan& sweepPlan, const QString& outDir, int threads,
                 SweepProgress& progress)
{
    const QString path = QDir(outDir).filePath(files::kTimingFile);
    if (QFileInfo::exists(path))
        return;
    progress.log(QStringLiteral("timing each entry's layers, dense against basis, interleaved…"));
    io::writeJsonAtomic(path, plan::timeEntries(params.train, params.basis, sweepPlan.entries, sweepPlan.skipEpochs, threads));
}

} // namespace

namespace {

/// The units of a planned sweep: (run, seed) pairs, seed by seed — the baseline and every entry with seed 1,
/// then with seed 2, … — so that a stopped sweep holds complete pairs for as many seeds as possible.
QVector<PlannedRun> planRuns(const SweepParams& params, const plan::SweepPlan& sweepPlan, const QString& outDir, int share)
{
    const QDir root(outDir);
    QVector<PlannedRun> runs;
    for (int seed = 0; seed < params.seeds; ++seed) {
        PlannedRun base{QStringLiteral("baseline") + files::seedLabel(seed), root.filePath(files::seedRunDir(files::kBaselineDir, seed)),
                        true, {}};
        base.basisParams.train = params.train;
        base.basisParams.train.seed = params.train.seed + quint64(seed);
        base.basisParams.train.threads = share;
        runs.push_back(base);
        for (const plan::PlannedEntry& e : sweepPlan.entries) {
            PlannedRun run;
            run.label = (sweepPlan.kind == SweepKind::Groups ? QStringLiteral("group %1").arg(e.name)
                                                             : QStringLiteral("layer %1 (%2)").arg(e.index).arg(e.name))
                + files::seedLabel(seed);
            run.dir = root.filePath(files::seedRunDir(e.runDir, seed));
            run.basisParams = e.job;
            run.basisParams.train.seed = params.train.seed + quint64(seed);
            run.basisParams.train.threads = share;
            runs.push_back(run);
        }
    }
    return runs;
}

/// sweep.json for `params` (written, or checked against the folder's).
QJsonObject sweepFile(const SweepParams& params, const plan::SweepPlan& sweepPlan)
{
    QJsonObject file = plan::sweepFileJson(sweepPlan.kind, params.train, params.basis, sweepPlan.skipEpochs, toJson(params),
                                           sweepPlan.entries, true);
    if (params.seeds != 1)
        file.insert(QStringLiteral("seeds"), params.seeds);
    return file;
}

/// The parameters stored in the sweep folder `dir` (sweep.json's "params"); throws ranklab::Error with one
/// sentence when there is none or it is not a trained sweep.
SweepParams storedSweepParams(const QString& dir)
{
    const QString path = QDir(dir).filePath(QStringLiteral("sweep.json"));
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1 holds no sweep (no sweep.json).").arg(dir));
    const QJsonObject sweep = io::readJsonObject(path);
    const QString kind = sweep.value(QStringLiteral("kind")).toString();
    if (kind != QLatin1String("sweep") && kind != QLatin1String("groups"))
        throw Error(QStringLiteral("%1 holds a %2, whose work is not split into units.").arg(dir, kind.isEmpty() ? QStringLiteral("folder of no known kind") : kind));
    SweepParams params = sweepParamsFromJson(sweep.value(QStringLiteral("params")).toObject());
    params.seeds = std::max(1, sweep.value(QStringLiteral("seeds")).toInt(1));
    return params;
}

/// A sweep folder's stored parameters, their plan and its runs (each with `threads` intra-op threads, 0: the
/// sweep's own setting): what the unit functions below start from.
struct StoredSweep {
    SweepParams params;
    plan::SweepPlan plan;
    QVector<PlannedRun> runs;
};
StoredSweep storedSweep(const QString& dir, int threads)
{
    StoredSweep stored;
    stored.params = storedSweepParams(dir);
    stored.plan = plan::planSweep(stored.params);
    stored.runs = planRuns(stored.params, stored.plan, dir, threads > 0 ? threads : stored.params.train.threads);
    return stored;
}

/// Trains (or resumes, or repairs) one unit; what a worker thread and `sweep-unit` both do.
TrainSummary trainUnit(const PlannedRun& run, const TrainCallbacks& cb, const std::atomic_bool* stop)
{
    if (run.baseline)
        return runTraining(run.basisParams.train, run.dir, true, cb, stop);
    return basis::runBasisTraining(run.basisParams, run.dir, true, cb, stop);
}

/// The planned runs as units, with their state on disk.
QVector<SweepUnit> unitsOf(const QVector<PlannedRun>& runs, const QString& dir)
{
    QVector<SweepUnit> units;
    const QDir root(dir);
    for (int i = 0; i < runs.size(); ++i)
        units.push_back(SweepUnit{i, runs[i].label, root.relativeFilePath(runs[i].dir), runs[i].baseline,
                                  QFileInfo::exists(QDir(runs[i].dir).filePath(files::kSummaryFile))});
    return units;
}

} // namespace

QVector<SweepUnit> prepareSweep(const SweepParams& params, const QString& outDir)
{
    const plan::SweepPlan sweepPlan = plan::planSweep(params);
    {
        const io::FolderLock folderLock(outDir);
        files::writeOrCheckSweepFile(outDir, sweepFile(params, sweepPlan));
    }
    const QVector<PlannedRun> runs = planRuns(params, sweepPlan, outDir, params.train.threads);
    return unitsOf(runs, outDir);
}

QVector<SweepUnit> sweepUnits(const QString& dir)
{
    return unitsOf(storedSweep(dir, 0).runs, dir);
}

TrainSummary runSweepUnit(const QString& dir, int unit, int threads, const TrainCallbacks& callbacks, const std::atomic_bool* cancel)
{
    const QVector<PlannedRun> runs = storedSweep(dir, threads).runs;
    if (unit < 0 || unit >= runs.size())
        throw OptionError(QStringLiteral("the sweep in %1 has units 0 to %2, not %3.").arg(dir).arg(runs.size() - 1).arg(unit));
    const PlannedRun& run = runs[unit];
    const QString repair = repairRunFolder(run.dir, run.label);
    if (!repair.isEmpty() && callbacks.log)
        callbacks.log(repair);
    const TrainSummary summary = trainUnit(run, callbacks, cancel);
    if (summary.status == QLatin1String("completed")) {
        if (callbacks.log)
            callbacks.log(QStringLiteral("%1 finished: test top-1 %2%, %3 s of training")
                              .arg(run.label)
                              .arg(100 * summary.finalTestTop1, 0, 'f', 2)
                              .arg(summary.trainSeconds, 0, 'f', 1));
        files::writeSensitivityFiles(dir);
    }
    return summary;
}

SweepResult finishSweep(const QString& dir, int threads, const TrainCallbacks& callbacks)
{
    const StoredSweep stored = storedSweep(dir, threads);
    const QVector<PlannedRun>& runs = stored.runs;
    const io::FolderLock folderLock(dir);
    bool allDone = true;
    for (const PlannedRun& run : runs)
        allDone = allDone && QFileInfo::exists(QDir(run.dir).filePath(files::kSummaryFile));
    SweepProgress progress(callbacks, int(runs.size()), int(runs.size()));
    if (allDone)
        writeTiming(stored.params, stored.plan, dir, plan::threadShare(threads, 1), progress);
    files::writeSensitivityFiles(dir);
    if (!QFileInfo::exists(QDir(runs.front().dir).filePath(files::kSummaryFile)))
        return partialResult(dir, stored.plan.kind, runs);
    return loadSweep(dir);
}

SweepResult runSweep(const SweepParams& params, const QString& outDir, const TrainCallbacks& callbacks,
                     const std::atomic_bool* cancel)
{
    plan::SweepPlan sweepPlan = plan::planSweep(params);
    if (callbacks.log)
        for (const QString& refusal : sweepPlan.leftOut)
            callbacks.log(QStringLiteral("sweep: left out: %1").arg(refusal));
    const io::FolderLock folderLock(outDir);
    files::writeOrCheckSweepFile(outDir, sweepFile(params, sweepPlan));
    const int share = plan::threadShare(params.train.threads, params.workers);
    const QVector<PlannedRun> runs = planRuns(params, sweepPlan, outDir, share);
    // Finished runs are left exactly as they are; damaged ones are re-run (repairRunFolder).
    QStringList repairs;
    for (const PlannedRun& run : runs) {
        const QString line = repairRunFolder(run.dir, run.label);
        if (!line.isEmpty())
            repairs << line;
    }
    QVector<int> todo;
    int finishedBefore = 0;
    for (int i = 0; i < runs.size(); ++i) {
        if (QFileInfo::exists(QDir(runs[i].dir).filePath(files::kSummaryFile)))
            ++finishedBefore;
        else
            todo.push_back(i);
    }
    SweepProgress progress(callbacks, int(runs.size()), finishedBefore);
    for (const QString& line : repairs)
        progress.log(line);
    if (finishedBefore > 0)
        progress.log(QStringLiteral("sweep %1: %2 of %3 runs already finished, %4 to go")
                         .arg(outDir)
                         .arg(finishedBefore)
                         .arg(runs.size())
                         .arg(todo.size()));

    std::atomic_bool stop{false};
    std::atomic<int> next{0};
    std::mutex startMutex, errorMutex;
    std::exception_ptr firstError;
    const auto worker = [&]() {
        while (!stop.load()) {
            const int slot = next.fetch_add(1);
            if (slot >= todo.size())
                return;
            const int r = todo[slot];
            const PlannedRun& run = runs[r];
            // The process-wide generator is drawn from only while a run starts (seed, init, basis init):
            // hold the start lock until the run's first batch so runs start one at a time.
            std::unique_lock<std::mutex> startLock(startMutex);
            TrainCallbacks cb;
            cb.progress = [&](const TrainProgress& p) {
                if (startLock.owns_lock())
                    startLock.unlock();
                if (cancel && cancel->load())
                    stop = true; // seen by this run at its next batch
                progress.runProgress(r, run.label, p);
            };
            cb.log = [&](const QString& line) { progress.log(QStringLiteral("[%1] %2").arg(run.label, line)); };
            cb.epochDone = [&](const EpochMetrics& m) { progress.epochDone(m); };
            try {
                const TrainSummary summary = trainUnit(run, cb, &stop);
                if (startLock.owns_lock())
                    startLock.unlock();
                if (summary.status == QLatin1String("completed")) {
                    progress.runFinished(r);
                    progress.log(QStringLiteral("%1 finished: test top-1 %2%, %3 s of training")
                                     .arg(run.label)
                                     .arg(100 * summary.finalTestTop1, 0, 'f', 2)
                                     .arg(summary.trainSeconds, 0, 'f', 1));
                    std::lock_guard<std::mutex> lock(errorMutex);
                    files::writeSensitivityFiles(outDir);
                }
            } catch (...) {
                if (startLock.owns_lock())
                    startLock.unlock();
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!firstError)
                    firstError = std::current_exception();
                stop = true;
            }
        }
    };

    const int workerCount = std::min<int>(params.workers, std::max<int>(1, int(todo.size())));
    if (!todo.isEmpty()) {
        progress.log(QStringLiteral("sweep %1: %2 runs on %3 worker(s), %4 intra-op thread(s) each")
                         .arg(outDir)
                         .arg(todo.size())
                         .arg(workerCount)
                         .arg(share));
        std::vector<std::thread> threads;
        std::atomic<int> running{workerCount};
        std::mutex doneMutex;
        std::condition_variable done;
        for (int w = 0; w < workerCount; ++w)
            threads.emplace_back([&]() {
                worker();
                std::lock_guard<std::mutex> lock(doneMutex);
                --running;
                done.notify_all();
            });
        // Forward the caller's cancel flag to the runs while they work.
        {
            std::unique_lock<std::mutex> lock(doneMutex);
            while (running.load() > 0) {
                done.wait_for(lock, std::chrono::milliseconds(50));
                if (cancel && cancel->load())
                    stop = true;
            }
        }
        for (std::thread& t : threads)
            t.join();
    }
    if (firstError)
        std::rethrow_exception(firstError);
    bool allDone = !(cancel && cancel->load());
    for (const PlannedRun& run : runs)
        allDone = allDone && QFileInfo::exists(QDir(run.dir).filePath(files::kSummaryFile));
    if (allDone)
        writeTiming(params, sweepPlan, outDir, share, progress);
    files::writeSensitivityFiles(outDir);
    if (!QFileInfo::exists(QDir(runs.front().dir).filePath(files::kSummaryFile)))
        return partialResult(outDir, sweepPlan.kind, runs);
    return loadSweep(outDir);
}

} // namespace ranklab::search
