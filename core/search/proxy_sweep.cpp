#include "core/search/proxy_sweep.h"

#include <chrono>
#include <cmath>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/basis/basis_surgery.h"
#include "core/basis/cost_model.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/folder_lock.h"
#include "core/io/weights.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/search/sweep_files.h"
#include "core/search/sweep_plan.h"
#include "core/train/evaluate_internal.h"
#include "core/train/layer_method.h"
#include "core/train/trainer.h"

namespace ranklab::search {

namespace {
using Clock = std::chrono::steady_clock;

qint64 parameterCount(nn::Layer& model)
{
    qint64 n = 0;
    for (const auto& p : model.parameters())
        n += p.numel();
    return n;
}

} // namespace

QJsonObject toJson(const ProxySweepParams& params)
{
    QJsonObject json{{QStringLiteral("train"), toJson(params.train)},
                     {QStringLiteral("layers"), params.layers},
                     {QStringLiteral("basis"), basis::toJson(params.basis)},
                     {QStringLiteral("eval_images"), params.evalImages}};
    if (params.method != QLatin1String("basis")) { // absent for basis: folders written before methods existed resume
        QJsonObject method = params.methodOptions;
        method.insert(QStringLiteral("id"), params.method);
        json.insert(QStringLiteral("method"), method);
    }
    return json;
}

ProxySweepParams proxySweepParamsFromJson(const QJsonObject& json)
{
    ProxySweepParams p;
    p.train = trainParamsFromJson(json.value(QStringLiteral("train")).toObject());
    p.layers = json.value(QStringLiteral("layers")).toString(p.layers);
    p.basis = basis::basisSpecFromJson(json.value(QStringLiteral("basis")).toObject());
    p.evalImages = json.value(QStringLiteral("eval_images")).toInt();
    if (json.contains(QStringLiteral("method"))) {
        p.methodOptions = json.value(QStringLiteral("method")).toObject();
        p.method = p.methodOptions.take(QStringLiteral("id")).toString(p.method);
    }
    return p;
}

SweepResult runProxySweep(const ProxySweepParams& params, const QString& outDir, const TrainCallbacks& callbacks,
                          const std::atomic_bool* cancel)
{
    const bool basisMethod = params.method == QLatin1String("basis");
    if (basisMethod && params.basis.init == basis::BasisInit::Random)
        throw Error("the proxy approximates the trained filters, so its basis init must be qr or svd, not random.");
    const std::unique_ptr<LayerMethod> method =
        createLayerMethod(params.method, basisMethod ? basis::toJson(params.basis) : params.methodOptions);
    if (params.evalImages < 0)
        throw Error(QStringLiteral("the number of held-out images must be at least 0, not %1.").arg(params.evalImages));
    SweepParams asSweep;
    asSweep.train = params.train;
    asSweep.layers = params.layers;
    asSweep.basis = params.basis;
    if (!basisMethod)
        asSweep.basis = basis::BasisSpec{}; // the plan checks Conv2d only; the method judges each layer below
    plan::SweepPlan sweepPlan = plan::planSweep(asSweep);
    {
        // The method judges every planned layer on the architecture (no weights needed): with "all", layers it
        // cannot change are left out and named; a layer asked for by name or index is refused.
        const auto architecture = models::createModel(plan::naturalSpec(params.train.model));
        const bool all = params.layers.trimmed().compare(QLatin1String("all"), Qt::CaseInsensitive) == 0;
        QVector<plan::PlannedEntry> kept;
        for (const plan::PlannedEntry& e : sweepPlan.entries) {
            const QString refusal = method->refusal(*architecture, sweepPlan.registry.layers[e.index - 1]);
            if (refusal.isEmpty())
                kept.push_back(e);
            else if (!all)
                throw OptionError(refusal);
            else if (callbacks.log)
                callbacks.log(QStringLiteral("proxy: left out: %1").arg(refusal));
        }
        if (kept.isEmpty())
            throw OptionError(QStringLiteral("no layer of '%1' can take %2.").arg(params.layers, method->describe()));
        sweepPlan.entries = kept;
    }
    for (plan::PlannedEntry& e : sweepPlan.entries)
        e.runDir = QStringLiteral("proxy/") + e.runDir + QStringLiteral(".json");
    const io::FolderLock folderLock(outDir);
    QJsonObject sweepFile = plan::sweepFileJson(SweepKind::Proxy, params.train, params.basis, params.train.epochs, toJson(params),
                                                sweepPlan.entries, false);
    if (!basisMethod)
        sweepFile.insert(QStringLiteral("method"), method->toJson());
    files::writeOrCheckSweepFile(outDir, sweepFile);
    const QDir root(outDir);
    const auto log = [&callbacks](const QString& line) {
        if (callbacks.log)
            callbacks.log(line);
    };
    const auto cancelled = [cancel] { return cancel && cancel->load(); };

    // 1. The trained baseline (the trainer's resume contract).
    const QString baselineDir = root.filePath(files::kBaselineDir);
    const TrainSummary baseline = runTraining(params.train, baselineDir, true, callbacks, cancel);
    if (baseline.status != QLatin1String("completed")) {
        SweepResult partial;
        partial.dir = outDir;
        partial.kind = SweepKind::Proxy;
        partial.pending.push_back(QStringLiteral("baseline"));
        return partial;
    }

    // 2. The held-out images and the baseline's figures on them.
    train::applyThreadCount(params.train.threads);
    DataSpec dataSpec = params.train.data;
    ModelSpec modelSpec = params.train.model;
    if (params.evalImages > 0 && (dataSpec.testSubset == 0 || params.evalImages < dataSpec.testSubset))
        dataSpec.testSubset = params.evalImages;
    resolveModelAndData(modelSpec, dataSpec);
    const data::DatasetSplits data = data::loadDataset(dataSpec);
    resolveModelAndData(modelSpec, dataSpec, data.outChannels, data.train.height());
    data::BatchLoader loader(data.test, data.norm, data.outChannels, params.train.evalBatchSize, false, false, 0,
                             params.train.seed);
    const QString baselineWeights = QDir(baselineDir).filePath(QStringLiteral("model.rlk"));
    const auto model = models::createModel(modelSpec);
    io::loadWeights(*model, baselineWeights);
    const ModelInfo trainedRegistry = models::describeModule(*model, modelSpec);
    const QString baselineEvalPath = root.filePath(QStringLiteral("proxy/baseline.json"));
    if (!QFileInfo::exists(baselineEvalPath)) {
        const EvalResult r = train::evaluate(*model, loader, {}, cancel);
        if (cancelled())
            return loadSweep(outDir);
        io::writeJsonAtomic(baselineEvalPath, QJsonObject{{QStringLiteral("accuracy"), r.top1},
                                                          {QStringLiteral("loss"), r.loss},
                                                          {QStringLiteral("images"), double(r.samples)}});
    }

    // 3. One training-free evaluation per layer.
    const QVector<basis::LayerCost> costs =
        basis::basisCostModel(modelSpec, params.basis.size, params.basis.beta, /*measure=*/false);
    double modelCost = 0;
    const ModelInfo registry = describeModel(modelSpec);
    for (const LayerInfo& layer : registry.layers)
        if (layer.type == QLatin1String("Linear"))
            modelCost += double(layer.flops); // 2·in·out: forward + backward multiply-adds
    for (const basis::LayerCost& c : costs)
        modelCost += c.n0f + c.n0b;
    // Forward+backward multiply-adds per layer, as modelCost counts them.
    const auto layerCost = [&costs, &registry](int index) -> double {
        for (const basis::LayerCost& c : costs)
            if (c.index == index)
                return c.n0f + c.n0b;
        const LayerInfo& l = registry.layers[index - 1];
        return l.type == QLatin1String("Linear") ? double(l.flops) : 0.0;
    };

    const auto start = Clock::now();
    int done = 0;
    for (const plan::PlannedEntry& e : sweepPlan.entries) {
        if (cancelled())
            break;
        const QString path = root.filePath(e.runDir);
        if (!QFileInfo::exists(path)) {
            // Each entry changes a fresh copy of the trained baseline, so methods need not undo their surgery.
            const auto changed = models::createModel(modelSpec);
            io::loadWeights(*changed, baselineWeights);
            const double reconstructionError = method->apply(*changed, trainedRegistry, e.layers);
            const EvalResult r = train::evaluate(*changed, loader, {}, cancel);
            const qint64 changedParams = parameterCount(*changed);
            if (cancelled())
                break;
            double costDelta = 0;
            for (int index : e.layers)
                costDelta += method->costDelta(*model, modelSpec, registry, registry.layers[index - 1], layerCost);
            const double seconds = baseline.trainSeconds * (1 + costDelta / modelCost);
            io::writeJsonAtomic(path, QJsonObject{{QStringLiteral("index"), e.index},
                                                  {QStringLiteral("name"), e.name},
                                                  {QStringLiteral("accuracy"), r.top1},
                                                  {QStringLiteral("loss"), r.loss},
                                                  {QStringLiteral("seconds"), seconds},
                                                  {QStringLiteral("params"), double(changedParams)},
                                                  {QStringLiteral("reconstruction_error"), reconstructionError}});
            log(QStringLiteral("proxy: layer %1 (%2): test top-1 %3% without retraining, reconstruction error %4")
                    .arg(e.index)
                    .arg(e.name)
                    .arg(100 * r.top1, 0, 'f', 2)
                    .arg(reconstructionError, 0, 'g', 4));
        }
        ++done;
        if (callbacks.progress) {
            TrainProgress p;
            p.epoch = done;
            p.epochs = int(sweepPlan.entries.size());
            p.fraction = double(done) / double(sweepPlan.entries.size());
            const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
            p.etaSeconds = elapsed / done * double(sweepPlan.entries.size() - done);
            p.phase = QStringLiteral("proxy");
            callbacks.progress(p);
        }
    }
    files::writeSensitivityFiles(outDir);
    return loadSweep(outDir);
}

SensitivityAgreement compareSensitivities(const SweepResult& a, const SweepResult& b)
{
    SensitivityAgreement agreement;
    QVector<double> dropA, dropB, scoreA, scoreB;
    for (const LayerSensitivity& x : a.entries)
        for (const LayerSensitivity& y : b.entries)
            if (x.index == y.index) {
                dropA.push_back(x.accDrop);
                dropB.push_back(y.accDrop);
                scoreA.push_back(x.score);
                scoreB.push_back(y.score);
            }
    agreement.common = int(dropA.size());
    agreement.rhoDrop = spearmanRho(dropA, dropB);
    agreement.rhoScore = spearmanRho(scoreA, scoreB);
    return agreement;
}

} // namespace ranklab::search
