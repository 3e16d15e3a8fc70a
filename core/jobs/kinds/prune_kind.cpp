// `prune`: L1-norm filter pruning (Li et al. 2016) with fine-tuning, the baseline RON stacks on (resumable).
#include <QJsonArray>

#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/prune/pruning.h"

namespace ranklab::kinds {

JobKind pruneKind()
{
    JobKind k;
    k.id = QStringLiteral("prune");
    k.title = QStringLiteral("L1 filter pruning");
    k.menu = QStringLiteral("Pruning");
    k.summary = QStringLiteral("L1-norm filter pruning with fine-tuning (the baseline RON stacks on, paper B Table 4)");
    k.help = QStringLiteral("L1-norm filter pruning (Li et al. 2016): remove the --ratio smallest-L1 filters of every prunable conv (all convs "
                            "of VGG/LeNet-5, the first conv of each ResNet block), then fine-tune. The pruned weights load like any other "
                            "(eval, ron --weights).");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema.typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("trained weights to prune"))
        .req()
        .number(QStringLiteral("ratio"), QStringLiteral("R"), QStringLiteral("fraction of filters removed per conv, in (0, 1)"), QStringLiteral("0.3"), 0, 1)
        .openEnds(true, true)
        .typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("convs to prune: indices, ranges, names, or all prunable"),
               QStringLiteral("all"))
        .integer(QStringLiteral("finetune-epochs"), QStringLiteral("E"), QStringLiteral("fine-tuning epochs after pruning (0: none)"), QStringLiteral("0"),
                 0, 100000);
    addTrainerParams(k.schema);
    k.schema.setDefault(QStringLiteral("lr"), QStringLiteral("0.01"),
                        QStringLiteral("initial learning rate (fine-tuning continues a trained network: a tenth of train's default)"));
    k.completionFiles = {QStringLiteral("report.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& context) {
        prune::PruneParams params;
        params.train = trainParamsFrom(p);
        params.train.initWeights = p.required(QStringLiteral("weights"));
        params.ratio = p.doubleValue(QStringLiteral("ratio"));
        params.layers = p.value(QStringLiteral("layers"));
        params.finetuneEpochs = p.intValue(QStringLiteral("finetune-epochs"));
        const QString out = p.required(QStringLiteral("out"));
        const prune::PruneReport report = prune::runPrune(params, out, p.flag(QStringLiteral("resume")), context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = prune::toJson(report);
        if (report.status != QLatin1String("completed")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("fine-tuning cancelled; continue with --resume --out %1").arg(out);
            return result;
        }
        const double pb = double(report.paramsBefore), pa = double(report.paramsAfter);
        const double fb = double(report.flopsBefore), fa = double(report.flopsAfter);
        result.text = format("pruned %lld convs: parameters %.0f -> %.0f (%.2fx), FLOPs %.0f -> %.0f (%.2fx)\n",
                             static_cast<long long>(report.layers.size()), pb, pa, pb / pa, fb, fa, fb / fa);
        result.text += format("test top-1: %.2f%% before, %.2f%% pruned", 100 * report.top1Before, 100 * report.top1Pruned);
        if (params.finetuneEpochs > 0)
            result.text += format(", %.2f%% after %d fine-tuning epochs", 100 * report.top1Finetuned, params.finetuneEpochs);
        result.text += format("\nweights: %s\n", qPrintable(report.weights));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
