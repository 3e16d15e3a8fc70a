#include "core/prune/pruning.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/io/folder_lock.h"
#include "core/io/weights.h"
#include "core/models/channel_plan.h"
#include "core/models/surgery.h"
#include "core/models/zoo.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"

namespace ranklab::prune {

namespace {
const QString kReportFile = QStringLiteral("report.json");
const QString kPrunedFile = QStringLiteral("pruned.rlk");

/// The prunable convs the selection names; a named conv that cannot be pruned is an error.
std::vector<models::PrunableConv> selectedPrunable(nn::Layer& model, const ModelInfo& info, const QString& selection,
                                                   QVector<int>& indices)
{
    const std::vector<models::PrunableConv> prunable = models::prunableConvs(model);
    if (prunable.empty())
        throw Error(QStringLiteral("%1 has no convolution that filter pruning can narrow (VGG, LeNet-5, ResNet and "
                                   "MobileNetV2 models can be pruned).")
                        .arg(info.spec.name));
    std::vector<models::PrunableConv> out;
    const bool all = selection.trimmed().compare(QLatin1String("all"), Qt::CaseInsensitive) == 0;
    for (int index : resolveLayerSelection(info, selection, QStringLiteral("Conv2d"))) {
        const LayerInfo& layer = info.layers[index - 1];
        const models::PrunableConv* found = nullptr;
        for (const models::PrunableConv& p : prunable)
            if (QString::fromStdString(p.conv) == layer.name)
                found = &p;
        if (found) {
            out.push_back(*found);
            indices.append(index);
        } else if (!all) {
            throw Error(QStringLiteral("layer %1 (%2) cannot be pruned: %3.")
                            .arg(index)
                            .arg(layer.name, models::notPrunableReason(model, layer.name.toStdString())));
        }
    }
    if (out.empty())
        throw Error(QStringLiteral("the layer selection '%1' holds no prunable convolution.").arg(selection));
    return out;
}
} // namespace

namespace {
const JsonFields<PrunedLayer>& layerFields()
{
    static const auto f = JsonFields<PrunedLayer>()
                              .add("index", &PrunedLayer::index)
                              .add("name", &PrunedLayer::name)
                              .add("before", &PrunedLayer::before)
                              .add("after", &PrunedLayer::after);
    return f;
}
const JsonFields<PruneReport>& reportFields()
{
    static const auto f = JsonFields<PruneReport>()
                              .add("status", &PruneReport::status)
                              .add("model", &PruneReport::model)
                              .add("ratio", &PruneReport::ratio)
                              .add("channels", &PruneReport::channels)
                              .objects("layers", &PruneReport::layers, layerFields())
                              .add("params_before", &PruneReport::paramsBefore)
                              .add("params_after", &PruneReport::paramsAfter)
                              .add("flops_before", &PruneReport::flopsBefore)
                              .add("flops_after", &PruneReport::flopsAfter)
                              .add("top1_before", &PruneReport::top1Before)
                              .add("top1_pruned", &PruneReport::top1Pruned)
                              .add("top1_finetuned", &PruneReport::top1Finetuned)
                              .add("finetune_epochs", &PruneReport::finetuneEpochs)
                              .add("weights", &PruneReport::weights);
    return f;
}
} // namespace

QJsonObject toJson(const PruneReport& report)
{
    return reportFields().write(report);
}

PruneReport pruneReportFromJson(const QJsonObject& json)
{
    return reportFields().read(json);
}

PruneReport runPrune(const PruneParams& params, const QString& outDir, bool resume, const TrainCallbacks& callbacks,
                     const std::atomic_bool* cancel)
{
    if (!(params.ratio > 0 && params.ratio < 1))
        throw Error(QStringLiteral("the pruning ratio must be between 0 and 1 (e.g. 0.3), not %1.").arg(params.ratio));
    if (params.finetuneEpochs < 0)
        throw Error(QStringLiteral("the number of fine-tuning epochs cannot be negative."));
    if (params.train.initWeights.isEmpty() || !QFileInfo(params.train.initWeights).isFile())
        throw Error(QStringLiteral("the trained weights file '%1' does not exist.").arg(params.train.initWeights));
    const QDir dir(outDir);
    const io::FolderLock folderLock(outDir);
    if (QFileInfo::exists(dir.filePath(kReportFile)) && !resume)
        throw Error(QStringLiteral("%1 already holds a pruning; use --resume or choose another --out.").arg(outDir));

    // The model at the data's input size, with the trained weights.
    ModelSpec spec = params.train.model;
    DataSpec dataSpec = params.train.data;
    resolveModelAndData(spec, dataSpec);
    const data::DatasetSplits splits = data::loadDataset(dataSpec);
    resolveModelAndData(spec, dataSpec, splits.outChannels, splits.train.height());
    auto model = models::createModel(spec);
    for (const QString& note : io::loadWeights(*model, params.train.initWeights, spec.name).notes)
        if (callbacks.log)
            callbacks.log(note);
    const auto reference = models::createArchitecture(spec);
    const ModelInfo before = models::describeModule(*model, spec);

    QVector<int> indices;
    const std::vector<models::PrunableConv> chosen = selectedPrunable(*model, before, params.layers, indices);
    // Independent pruning: every layer's filters ranked by their own trained L1 norms, all chosen first.
    std::vector<torch::Tensor> keeps;
    QVector<PrunedLayer> layers;
    {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < chosen.size(); ++i) {
            const auto conv = std::dynamic_pointer_cast<nn::Conv2d>(models::findLayer(*model, chosen[i].conv));
            const int64_t c = conv->options().outChannels;
            const int64_t keep = std::max<int64_t>(1, c - int64_t(std::floor(params.ratio * double(c))));
            const torch::Tensor l1 = conv->weight.abs().sum({1, 2, 3});
            keeps.push_back(std::get<0>(std::get<1>(l1.topk(keep)).sort()));
            layers.append({indices[int(i)], QString::fromStdString(chosen[i].conv), c, keep});
        }
    }
    for (size_t i = 0; i < chosen.size(); ++i)
        models::keepOutputChannels(*model, chosen[i], keeps[i]);
    spec.channels = models::channelPlanOf(*model, *reference);
    const ModelInfo after = models::describeModule(*model, spec);

    TrainParams pruned = params.train;
    pruned.model = spec;
    pruned.initWeights = dir.filePath(kPrunedFile);
    pruned.epochs = std::max(1, params.finetuneEpochs);
    io::ensureWritableDir(outDir);
    io::Checkpoint checkpoint;
    checkpoint.model = io::moduleStateDict(*model);
    checkpoint.meta = QJsonObject{{QStringLiteral("kind"), QStringLiteral("pruned")},
                                  {QStringLiteral("version"), QStringLiteral(RANKLAB_VERSION)},
                                  {QStringLiteral("params"), toJson(pruned)}};
    io::writeCheckpoint(pruned.initWeights, checkpoint);

    EvalParams eval;
    eval.model = params.train.model;
    eval.data = params.train.data;
    eval.batchSize = params.train.evalBatchSize;
    eval.threads = params.train.threads;
    eval.weights = params.train.initWeights;
    const double top1Before = evaluateWeights(eval).top1;
    eval.weights = pruned.initWeights; // loads through the channel plan, as every later user of the file will
    const double top1Pruned = evaluateWeights(eval).top1;
    if (callbacks.log)
        callbacks.log(QStringLiteral("pruned %1 convs: %2 → %3 parameters, test top-1 %4% → %5%")
                          .arg(layers.size())
                          .arg(before.totalParams)
                          .arg(after.totalParams)
                          .arg(100 * top1Before, 0, 'f', 2)
                          .arg(100 * top1Pruned, 0, 'f', 2));

    double top1Finetuned = -1;
    QString weights = pruned.initWeights;
    if (params.finetuneEpochs > 0) {
        const TrainSummary ft = runTraining(pruned, dir.filePath(QStringLiteral("finetune")), /*resume=*/true, callbacks, cancel);
        if (ft.status != QLatin1String("completed")) {
            PruneReport cancelled;
            cancelled.status = QStringLiteral("cancelled");
            return cancelled;
        }
        top1Finetuned = ft.finalTestTop1;
        weights = ft.weightsPath;
    }

    PruneReport report;
    report.status = QStringLiteral("completed");
    report.model = spec.name;
    report.ratio = params.ratio;
    report.channels = spec.channels;
    report.layers = layers;
    report.paramsBefore = before.totalParams;
    report.paramsAfter = after.totalParams;
    report.flopsBefore = before.totalFlops;
    report.flopsAfter = after.totalFlops;
    report.top1Before = top1Before;
    report.top1Pruned = top1Pruned;
    report.top1Finetuned = top1Finetuned;
    report.finetuneEpochs = params.finetuneEpochs;
    report.weights = weights;
    io::writeJsonAtomic(dir.filePath(kReportFile), toJson(report));
    return report;
}

} // namespace ranklab::prune
