#include "core/basis/sanity_check.h"

#include <chrono>
#include <cmath>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/basis/skip_training.h"
#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/folder_lock.h"
#include "core/models/registry.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"

namespace ranklab::basis {

namespace {
const QString kSanityFile = QStringLiteral("sanity.json");

/// One planned run: its folder name and how it starts.
struct PlannedRun {
    QString name;
    QString init; // trained | random | qr | svd
    double size = 0;
    bool basis = false;
    BasisInit basisInit = BasisInit::Qr;
    bool baseline = false;
};

QVector<PlannedRun> plan(const SanityCheckParams& params)
{
    QVector<PlannedRun> runs;
    if (params.baselineWeights.isEmpty())
        runs.append({QStringLiteral("baseline"), QStringLiteral("random"), 0, false, BasisInit::Random, true});
    if (params.controls) {
        runs.append({QStringLiteral("copy"), QStringLiteral("trained"), 0, false, BasisInit::Random, false});
        runs.append({QStringLiteral("random"), QStringLiteral("random"), 0, false, BasisInit::Random, false});
    }
    for (BasisInit init : params.inits)
        for (double size : params.sizes)
            runs.append({QStringLiteral("%1-%2").arg(initName(init)).arg(size), initName(init), size, true, init, false});
    return runs;
}

SanityRunResult readRun(const PlannedRun& planned, const QString& dir, int startEpoch)
{
    const TrainSummary s = readTrainSummary(dir);
    SanityRunResult r;
    r.name = planned.name;
    r.dir = dir;
    r.init = planned.init;
    r.size = planned.size;
    r.startEpoch = planned.baseline ? 0 : startEpoch;
    r.params = s.params;
    r.finalTestTop1 = s.finalTestTop1;
    r.trainSeconds = s.trainSeconds;
    const QJsonArray layers = s.extra.value(QStringLiteral("basis_layers")).toArray();
    if (!layers.isEmpty()) {
        double sum = 0;
        for (const QJsonValue& l : layers)
            sum += l.toObject().value(QStringLiteral("reconstruction_error")).toDouble();
        r.meanReconstructionError = sum / layers.size();
    }
    return r;
}

QString csvRow(const SanityRunResult& r)
{
    return QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8\n")
        .arg(r.name, r.init)
        .arg(r.size, 0, 'g', 6)
        .arg(r.startEpoch + 1)
        .arg(r.params)
        .arg(r.finalTestTop1, 0, 'g', 10)
        .arg(r.trainSeconds, 0, 'g', 8)
        .arg(r.meanReconstructionError, 0, 'g', 8);
}
} // namespace

QJsonObject toJson(const SanityCheckParams& p)
{
    QJsonArray sizes, inits;
    for (double s : p.sizes)
        sizes.append(s);
    for (BasisInit i : p.inits)
        inits.append(initName(i));
    return QJsonObject{{QStringLiteral("train"), toJson(p.train)},
                       {QStringLiteral("layers"), p.layers},
                       {QStringLiteral("sizes"), sizes},
                       {QStringLiteral("inits"), inits},
                       {QStringLiteral("form"), formName(p.form)},
                       {QStringLiteral("beta"), p.beta},
                       {QStringLiteral("start_fraction"), p.startFraction},
                       {QStringLiteral("baseline_weights"), p.baselineWeights},
                       {QStringLiteral("controls"), p.controls}};
}

namespace {
const JsonFields<SanityRunResult>& runFields()
{
    static const auto f = JsonFields<SanityRunResult>()
                              .add("name", &SanityRunResult::name)
                              .add("dir", &SanityRunResult::dir)
                              .add("init", &SanityRunResult::init)
                              .add("size", &SanityRunResult::size)
                              // 1-based in the file, like the epochs of metrics.csv
                              .custom("start_epoch", [](const SanityRunResult& r) { return QJsonValue(r.startEpoch + 1); },
                                      [](SanityRunResult& r, const QJsonValue& v) { r.startEpoch = v.toInt(1) - 1; })
                              .add("params", &SanityRunResult::params)
                              .add("final_test_top1", &SanityRunResult::finalTestTop1)
                              .add("train_seconds", &SanityRunResult::trainSeconds)
                              .add("mean_reconstruction_error", &SanityRunResult::meanReconstructionError);
    return f;
}
} // namespace

QJsonObject toJson(const SanityRunResult& r)
{
    return runFields().write(r);
}

SanityRunResult sanityRunResultFromJson(const QJsonObject& json)
{
    return runFields().read(json);
}

int sanityStartEpoch(const SanityCheckParams& params)
{
    if (!(params.startFraction > 0 && params.startFraction < 1))
        throw Error(QStringLiteral("the start fraction must be between 0 and 1 (paper A uses 0.7), not %1.")
                        .arg(params.startFraction));
    const int start = int(std::lround(params.startFraction * params.train.epochs));
    if (start < 1 || start >= params.train.epochs)
        throw Error(QStringLiteral("a schedule of %1 epochs is too short to start at %2 of it; use more epochs.")
                        .arg(params.train.epochs)
                        .arg(params.startFraction));
    return start;
}

QJsonObject runSanityCheck(const SanityCheckParams& params, const QString& outDir, bool resume,
                           const TrainCallbacks& callbacks, const std::atomic_bool* cancel)
{
    const int start = sanityStartEpoch(params);
    if (params.sizes.isEmpty() || params.inits.isEmpty())
        throw Error(QStringLiteral("the sanity check needs at least one basis size and one of qr/svd."));
    for (BasisInit init : params.inits)
        if (init == BasisInit::Random)
            throw Error(QStringLiteral("the sanity check extracts bases from trained weights: use qr or svd "
                                       "(the \"random\" control runs anyway)."));
    // Layer selection and sizes checked on the architecture before the (long) baseline trains; the input
    // size the data will give does not change layer names or channel counts.
    ModelSpec probe = params.train.model;
    const ModelSpec defaults = defaultModelSpec(probe.name);
    if (probe.inChannels < 1)
        probe.inChannels = defaults.inChannels;
    if (probe.inputSize < 1)
        probe.inputSize = defaults.inputSize;
    const ModelInfo info = describeModel(probe);
    const QVector<int> selected = resolveLayerSelection(info, params.layers, QStringLiteral("Conv2d"));
    for (double size : params.sizes)
        for (int index : selected) {
            const LayerInfo& layer = info.layers[index - 1];
            if (layer.type != QLatin1String("Conv2d"))
                throw OptionError(QStringLiteral("layer %1 (%2) is a %3, not a convolution.").arg(index).arg(layer.name, layer.type));
            validateBasisSpec(BasisSpec{size, params.beta, params.form, BasisInit::Qr}, layer.weightShape.value(0), layer.name);
        }
    if (!params.baselineWeights.isEmpty() && !QFileInfo(params.baselineWeights).isFile())
        throw Error(QStringLiteral("the baseline weights file %1 does not exist.").arg(params.baselineWeights));

    const QDir dir(outDir);
    const io::FolderLock folderLock(outDir);
    const QJsonObject stored{{QStringLiteral("kind"), QStringLiteral("sanity-check")},
                             {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                             {QStringLiteral("params"), toJson(params)}};
    if (QFileInfo::exists(dir.filePath(kSanityFile))) {
        if (!resume)
            throw Error(QStringLiteral("%1 already holds a sanity check; use --resume to continue it or choose another --out.")
                            .arg(outDir));
        QJsonObject previous = io::readJsonObject(dir.filePath(kSanityFile)).value(QStringLiteral("params")).toObject();
        QJsonObject now = toJson(params);
        for (QJsonObject* o : {&previous, &now}) { // the thread count may change between sessions
            QJsonObject train = o->value(QStringLiteral("train")).toObject();
            train.remove(QStringLiteral("threads"));
            o->insert(QStringLiteral("train"), train);
        }
        if (previous != now)
            throw Error(QStringLiteral("%1 holds a sanity check with different parameters; resume it with the same options "
                                       "or choose another --out.")
                            .arg(outDir));
    }

    const QVector<PlannedRun> runs = plan(params);
    // Progress over the whole experiment, weighted by the epochs each run trains.
    const int epochs = params.train.epochs;
    QVector<double> weight;
    double totalWeight = 0;
    for (const PlannedRun& r : runs) {
        weight.append(r.baseline ? epochs : epochs - start);
        totalWeight += weight.last();
    }
    const auto began = std::chrono::steady_clock::now();
    double doneWeight = 0;
    int current = 0;
    TrainCallbacks inner = callbacks;
    inner.progress = [&](const TrainProgress& p) {
        if (!callbacks.progress)
            return;
        TrainProgress q = p;
        q.fraction = (doneWeight + p.fraction * weight[current]) / totalWeight;
        q.phase = QStringLiteral("%1 (%2/%3)").arg(runs[current].name).arg(current + 1).arg(runs.size());
        // The sub-run's own ETA plus the later runs at the pace of this session's finished work.
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        double later = 0;
        for (int i = current + 1; i < runs.size(); ++i)
            later += weight[i];
        if (p.etaSeconds >= 0) {
            const double perWeight = p.fraction > 0 ? (elapsed / std::max(1e-9, q.fraction * totalWeight)) : 0;
            q.etaSeconds = p.etaSeconds + later * perWeight;
        }
        callbacks.progress(q);
    };
    inner.log = [&](const QString& line) {
        if (callbacks.log)
            callbacks.log(QStringLiteral("[%1] %2").arg(runs[current].name, line));
    };

    QString baselineWeights = params.baselineWeights;
    QVector<SanityRunResult> results;
    double baselineTop1 = -1;
    bool wroteParams = false;
    for (current = 0; current < runs.size(); ++current) {
        const PlannedRun& r = runs[current];
        const QString runDir = dir.filePath(QStringLiteral("runs/") + r.name);
        TrainParams train = params.train;
        train.initWeights.clear();
        train.startEpoch = 0;
        if (!r.baseline) {
            train.startEpoch = start;
            if (r.init != QLatin1String("random"))
                train.initWeights = baselineWeights;
        }
        if (!wroteParams) { // only once the options passed the checks above
            io::ensureWritableDir(outDir);
            if (!QFileInfo::exists(dir.filePath(kSanityFile)))
                io::writeJsonAtomic(dir.filePath(kSanityFile), stored);
            wroteParams = true;
        }
        TrainSummary summary;
        if (r.basis) {
            BasisTrainParams bp;
            bp.train = train;
            bp.layers = params.layers;
            bp.basis = BasisSpec{r.size, params.beta, params.form, r.basisInit};
            bp.skipEpochs = epochs; // basis convs to the end (see SanityCheckParams)
            summary = runBasisTraining(bp, runDir, /*resume=*/true, inner, cancel);
        } else {
            summary = runTraining(train, runDir, /*resume=*/true, inner, cancel);
        }
        if (summary.status != QLatin1String("completed"))
            return QJsonObject{{QStringLiteral("status"), QStringLiteral("cancelled")},
                               {QStringLiteral("runs_done"), current},
                               {QStringLiteral("runs"), int(runs.size())}};
        results.append(readRun(r, runDir, start));
        if (r.baseline) {
            baselineWeights = QDir(runDir).filePath(QStringLiteral("model.rlk"));
            baselineTop1 = results.last().finalTestTop1;
        }
        doneWeight += weight[current];
    }
    if (baselineTop1 < 0) { // the baseline came as a file: its accuracy on the same test split
        EvalParams eval;
        eval.model = params.train.model;
        eval.weights = params.baselineWeights;
        eval.data = params.train.data;
        eval.batchSize = params.train.evalBatchSize;
        eval.threads = params.train.threads;
        baselineTop1 = evaluateWeights(eval).top1;
    }

    QJsonArray list;
    QString csv = QStringLiteral("name,init,size,start_epoch,params,final_test_top1,train_seconds,mean_reconstruction_error\n");
    for (const SanityRunResult& r : results) {
        list.append(toJson(r));
        csv += csvRow(r);
    }
    const QJsonObject summary{{QStringLiteral("status"), QStringLiteral("completed")},
                              {QStringLiteral("start_epoch"), start + 1},
                              {QStringLiteral("epochs"), epochs},
                              {QStringLiteral("baseline_top1"), baselineTop1},
                              {QStringLiteral("runs"), list}};
    io::writeFileAtomic(dir.filePath(QStringLiteral("sanity.csv")), csv.toUtf8());
    io::writeJsonAtomic(dir.filePath(QStringLiteral("summary.json")), summary);
    return summary;
}

} // namespace ranklab::basis
