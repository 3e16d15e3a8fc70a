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
    ParamDecl ratio;
    ratio.name = QStringLiteral("ratio");
    ratio.type = ParamType::Double;
    ratio.valueName = QStringLiteral("R");
    ratio.help = QStringLiteral("fraction of filters removed per conv, in (0, 1)");
    ratio.defaultValue = QStringLiteral("0.3");
    ratio.min = 0;
    ratio.max = 1;
    ratio.minOpen = ratio.maxOpen = true;
    k.schema.typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("trained weights to prune"))
        .req()
        .add(ratio)
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
        const QJsonObject report = prune::runPrune(params, out, p.flag(QStringLiteral("resume")), context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = report;
        if (report.value(QStringLiteral("status")).toString() != QLatin1String("completed")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("fine-tuning cancelled; continue with --resume --out %1").arg(out);
            return result;
        }
        const double pb = report.value(QStringLiteral("params_before")).toDouble(), pa = report.value(QStringLiteral("params_after")).toDouble();
        const double fb = report.value(QStringLiteral("flops_before")).toDouble(), fa = report.value(QStringLiteral("flops_after")).toDouble();
        result.text = format("pruned %lld convs: parameters %.0f -> %.0f (%.2fx), FLOPs %.0f -> %.0f (%.2fx)\n",
                             static_cast<long long>(report.value(QStringLiteral("layers")).toArray().size()), pb, pa, pb / pa, fb, fa, fb / fa);
        result.text += format("test top-1: %.2f%% before, %.2f%% pruned", 100 * report.value(QStringLiteral("top1_before")).toDouble(),
                              100 * report.value(QStringLiteral("top1_pruned")).toDouble());
        if (params.finetuneEpochs > 0)
            result.text += format(", %.2f%% after %d fine-tuning epochs", 100 * report.value(QStringLiteral("top1_finetuned")).toDouble(),
                                  params.finetuneEpochs);
        result.text += format("\nweights: %s\n", qPrintable(report.value(QStringLiteral("weights")).toString()));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
