#include "core/search/proxy_sweep.h"

#include <chrono>
#include <cmath>

#include <QDir>
#include <QFileInfo>
#include <QHash>
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
#include "core/train/sgd.h"
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

/// Re-estimates every BatchNorm's running statistics from `batches` training batches, as a cumulative average
/// (torch's momentum=None), in training mode without gradients; leaves the model in eval mode.
void recalibrateBatchNorm(nn::Layer& model, data::BatchLoader& loader, int batches, const std::atomic_bool* cancel)
{
    std::vector<nn::BatchNorm*> norms;
    for (const auto& m : model.modules(/*include_self=*/false))
        if (auto* bn = dynamic_cast<nn::BatchNorm*>(m.get()))
            norms.push_back(bn);
    if (norms.empty() || batches <= 0)
        return;
    torch::NoGradGuard noGrad;
    for (nn::BatchNorm* bn : norms) {
        bn->running_mean.zero_();
        bn->running_var.fill_(1);
        bn->num_batches_tracked.zero_();
        bn->setCumulative(true);
    }
    model.train(true);
    loader.startEpoch(0);
    torch::Tensor x, y;
    for (int b = 0; b < batches && !(cancel && cancel->load()) && loader.next(x, y); ++b)
        model.forward(x);
    for (nn::BatchNorm* bn : norms)
        bn->setCumulative(false);
    model.train(false);
}

/// `steps` SGD steps on the whole network (the trainer's SGD: momentum and weight decay of `train`), cross-entropy
/// on training batches from epoch 0 of `loader`; throws ranklab::Error if the loss stops being finite.
void fineTune(nn::Layer& model, data::BatchLoader& loader, int64_t steps, double lr, const TrainParams& train,
              const QString& label, const std::atomic_bool* cancel)
{
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& item : model.named_parameters())
        if (item.value().requires_grad())
            named.emplace_back(item.key(), item.value());
    train::Sgd sgd(std::move(named), train.momentum, train.weightDecay);
    model.train(true);
    int epoch = 0;
    loader.startEpoch(epoch);
    torch::Tensor x, y;
    for (int64_t done = 0; done < steps && !(cancel && cancel->load());) {
        if (!loader.next(x, y)) {
            loader.startEpoch(++epoch);
            continue;
        }
        sgd.zeroGrad();
        const torch::Tensor loss = torch::nn::functional::cross_entropy(model.forward(x), y);
        if (!std::isfinite(loss.item<double>()))
            throw Error(QStringLiteral("the proxy's fine-tune of %1 diverged (loss %2 at step %3); lower --finetune-lr.")
                            .arg(label)
                            .arg(loss.item<double>())
                            .arg(done + 1));
        loss.backward();
        sgd.step(lr);
        ++done;
    }
    model.train(false);
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
    // Absent for "posthoc": folders written before the proxy modes existed resume as what they ran.
    if (params.proxy != QLatin1String("posthoc")) {
        QJsonObject proxy{{QStringLiteral("mode"), params.proxy}, {QStringLiteral("recal_batches"), params.recalBatches}};
        if (params.proxy == QLatin1String("finetune") || params.proxy == QLatin1String("reinit")) {
            proxy.insert(QStringLiteral("finetune_epochs"), params.finetuneEpochs);
            proxy.insert(QStringLiteral("finetune_lr"), params.finetuneLr);
        }
        json.insert(QStringLiteral("proxy"), proxy);
    }
    return json;
}

QStringList proxyModes()
{
    return {QStringLiteral("posthoc"), QStringLiteral("bn"), QStringLiteral("finetune"), QStringLiteral("reinit")};
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
    const QJsonObject proxy = json.value(QStringLiteral("proxy")).toObject();
    p.proxy = proxy.value(QStringLiteral("mode")).toString(QStringLiteral("posthoc"));
    p.recalBatches = proxy.value(QStringLiteral("recal_batches")).toInt(p.recalBatches);
    p.finetuneEpochs = proxy.value(QStringLiteral("finetune_epochs")).toDouble(p.finetuneEpochs);
    p.finetuneLr = proxy.value(QStringLiteral("finetune_lr")).toDouble(p.finetuneLr);
    return p;
}

SweepResult runProxySweep(const ProxySweepParams& params, const QString& outDir, const TrainCallbacks& callbacks,
                          const std::atomic_bool* cancel)
{
    const bool basisMethod = params.method == QLatin1String("basis");
    if (!proxyModes().contains(params.proxy))
        throw OptionError(QStringLiteral("unknown proxy '%1': use one of %2.").arg(params.proxy, proxyModes().join(QStringLiteral(", "))));
    const bool reinit = params.proxy == QLatin1String("reinit");
    const bool fineTunes = reinit || params.proxy == QLatin1String("finetune");
    if (reinit && !basisMethod)
        throw OptionError(QStringLiteral("the reinit proxy re-initialises basis convolutions; use it with --method basis, not %1.").arg(params.method));
    if (basisMethod && !reinit && params.basis.init == basis::BasisInit::Random)
        throw Error("the proxy approximates the trained filters, so its basis init must be qr or svd, not random (or use --proxy reinit).");
    if (fineTunes && !(params.finetuneEpochs > 0 && params.finetuneEpochs <= 10))
        throw OptionError(QStringLiteral("the proxy's fine-tune must last more than 0 and at most 10 epochs, not %1.").arg(params.finetuneEpochs));
    if (params.finetuneLr < 0 || !std::isfinite(params.finetuneLr))
        throw OptionError(QStringLiteral("the proxy's fine-tune learning rate must be 0 (a tenth of --lr) or positive, not %1.").arg(params.finetuneLr));
    if (params.recalBatches < 1)
        throw OptionError(QStringLiteral("BatchNorm recalibration needs at least 1 batch, not %1.").arg(params.recalBatches));
    basis::BasisSpec applied = params.basis;
    if (reinit)
        applied.init = basis::BasisInit::Random;
    const std::unique_ptr<LayerMethod> method =
        createLayerMethod(params.method, basisMethod ? basis::toJson(applied) : params.methodOptions);
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

    // 2. The held-out images (the validation split when there is one) and the baseline's figures on them.
    train::applyThreadCount(params.train.threads);
    DataSpec dataSpec = params.train.data;
    ModelSpec modelSpec = params.train.model;
    const bool onValidation = dataSpec.valSubset > 0;
    if (!onValidation && params.evalImages > 0 && (dataSpec.testSubset == 0 || params.evalImages < dataSpec.testSubset))
        dataSpec.testSubset = params.evalImages;
    resolveModelAndData(modelSpec, dataSpec);
    const data::DatasetSplits data = data::loadDataset(dataSpec);
    resolveModelAndData(modelSpec, dataSpec, data.outChannels, data.train.height());
    data::BatchLoader loader(onValidation ? data.val : data.test, data.norm, data.outChannels, params.train.evalBatchSize, false,
                             false, 0, params.train.seed);
    // Training batches for recalibration and fine-tunes: the baseline's own augmentation, a fixed order (seed) so
    // that every layer sees the same batches.
    data::BatchLoader trainLoader(data.train, data.norm, data.outChannels, params.train.batchSize, true, dataSpec.augment,
                                  dataSpec.cropPadding, params.train.seed + 7919);
    const int64_t fineTuneSteps =
        fineTunes ? std::max<int64_t>(1, int64_t(std::ceil(params.finetuneEpochs * double(trainLoader.batchesPerEpoch())))) : 0;
    const double fineTuneLr = params.finetuneLr > 0 ? params.finetuneLr : params.train.lr / 10;
    const QString baselineWeights = QDir(baselineDir).filePath(QStringLiteral("model.rlk"));
    const auto model = models::createModel(modelSpec);
    io::loadWeights(*model, baselineWeights);
    const ModelInfo trainedRegistry = models::describeModule(*model, modelSpec);
    const QString baselineEvalPath = root.filePath(QStringLiteral("proxy/baseline.json"));
    // The treatment every scored network gets — and so the reference too: the unchanged baseline fine-tuned and
    // recalibrated exactly like each changed copy, so that a drop measures the change, not the extra training.
    const auto treat = [&](nn::Layer& net, const QString& label) {
        if (fineTunes)
            fineTune(net, trainLoader, fineTuneSteps, fineTuneLr, params.train, label, cancel);
        if (params.proxy != QLatin1String("posthoc") && !cancelled())
            recalibrateBatchNorm(net, trainLoader, params.recalBatches, cancel);
    };
    if (!QFileInfo::exists(baselineEvalPath)) {
        const auto reference = models::createModel(modelSpec);
        io::loadWeights(*reference, baselineWeights);
        treat(*reference, QStringLiteral("the baseline"));
        const EvalResult r = cancelled() ? EvalResult{} : train::evaluate(*reference, loader, {}, cancel);
        if (cancelled())
            return loadSweep(outDir);
        io::writeJsonAtomic(baselineEvalPath, QJsonObject{{QStringLiteral("accuracy"), r.top1},
                                                          {QStringLiteral("loss"), r.loss},
                                                          {QStringLiteral("images"), double(r.samples)},
                                                          {QStringLiteral("split"), onValidation ? QStringLiteral("validation")
                                                                                                 : QStringLiteral("test")}});
    }

    // 3. One treated evaluation per layer.
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

    // Basis convs' time as autograd pays it: the entries' layers timed dense against basis, interleaved.
    QHash<int, double> timedDelta;
    if (basisMethod) {
        const QString timingPath = root.filePath(files::kProxyTimingFile);
        if (!QFileInfo::exists(timingPath)) {
            log(QStringLiteral("proxy: timing each layer, dense against basis, interleaved…"));
            io::writeJsonAtomic(timingPath, plan::timeEntries(params.train, params.basis, sweepPlan.entries, params.train.epochs,
                                                              params.train.threads));
        }
        for (const QJsonValue& v : io::readJsonObject(timingPath).value(QStringLiteral("entries")).toArray())
            timedDelta.insert(v.toObject().value(QStringLiteral("index")).toInt(), v.toObject().value(QStringLiteral("seconds_delta")).toDouble());
    }

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
            const QString label = QStringLiteral("layer %1 (%2)").arg(e.index).arg(e.name);
            treat(*changed, label);
            if (cancelled())
                break;
            const EvalResult r = train::evaluate(*changed, loader, {}, cancel);
            const qint64 changedParams = parameterCount(*changed);
            if (cancelled())
                break;
            double seconds = baseline.trainSeconds + timedDelta.value(e.index);
            if (!basisMethod) {
                double costDelta = 0;
                for (int index : e.layers)
                    costDelta += method->costDelta(*model, modelSpec, registry, registry.layers[index - 1], layerCost);
                seconds = baseline.trainSeconds * (1 + costDelta / modelCost);
            }
            io::writeJsonAtomic(path, QJsonObject{{QStringLiteral("index"), e.index},
                                                  {QStringLiteral("name"), e.name},
                                                  {QStringLiteral("accuracy"), r.top1},
                                                  {QStringLiteral("loss"), r.loss},
                                                  {QStringLiteral("seconds"), seconds},
                                                  {QStringLiteral("params"), double(changedParams)},
                                                  {QStringLiteral("reconstruction_error"), reconstructionError}});
            log(QStringLiteral("proxy (%1): %2: %3 top-1 %4%, loss %5, reconstruction error %6")
                    .arg(params.proxy, label, onValidation ? QStringLiteral("validation") : QStringLiteral("test"))
                    .arg(100 * r.top1, 0, 'f', 2)
                    .arg(r.loss, 0, 'f', 4)
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
