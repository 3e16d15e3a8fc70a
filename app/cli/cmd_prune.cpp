// `ranklab-cli prune`: L1-norm filter pruning (Li et al. 2016) with fine-tuning, the baseline RON stacks on.
#include <cstdio>

#include <QJsonArray>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/ron/pruning.h"

namespace ranklab::cli {

int runPrune(const QStringList& args)
{
    ArgParser parser(QStringLiteral("prune"),
                     QStringLiteral("L1-norm filter pruning (Li et al. 2016): remove the --ratio smallest-L1 filters of every prunable conv (all convs of VGG/LeNet-5, the first conv of each ResNet block), then fine-tune. The pruned weights load like any other (eval, ron --weights)."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("trained weights to prune"), {}})
        .add({QStringLiteral("ratio"), QStringLiteral("R"), QStringLiteral("fraction of filters removed per conv, in (0, 1)"), QStringLiteral("0.3")})
        .add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("convs to prune: indices, ranges, names, or all prunable"), QStringLiteral("all")})
        .add({QStringLiteral("finetune-epochs"), QStringLiteral("E"), QStringLiteral("fine-tuning epochs after pruning (0: none)"), QStringLiteral("0")});
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    ron::PruneParams params;
    params.train = trainParamsFrom(parser);
    if (!parser.isSet(QStringLiteral("lr")))
        params.train.lr = 0.01; // fine-tuning continues a trained network: a tenth of the training default
    params.train.initWeights = parser.required(QStringLiteral("weights"));
    params.ratio = parser.doubleValue(QStringLiteral("ratio"), 0, 1);
    if (!(params.ratio > 0 && params.ratio < 1))
        throw UsageError(QStringLiteral("--ratio must be between 0 and 1 (exclusive), not %1.").arg(params.ratio));
    params.layers = parser.value(QStringLiteral("layers"));
    params.finetuneEpochs = parser.intValue(QStringLiteral("finetune-epochs"), 0, 100000);
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const QJsonObject report = ron::runPrune(params, out, parser.isSet(QStringLiteral("resume")), printer.callbacks(), cancelFlag());
    if (report.value(QStringLiteral("status")).toString() != QLatin1String("completed")) {
        std::fprintf(stderr, "ranklab-cli: fine-tuning cancelled; continue with --resume --out %s\n", qPrintable(out));
        return 130;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(report);
        return 0;
    }
    const double pb = report.value(QStringLiteral("params_before")).toDouble(), pa = report.value(QStringLiteral("params_after")).toDouble();
    const double fb = report.value(QStringLiteral("flops_before")).toDouble(), fa = report.value(QStringLiteral("flops_after")).toDouble();
    std::printf("pruned %lld convs: parameters %.0f -> %.0f (%.2fx), FLOPs %.0f -> %.0f (%.2fx)\n",
                static_cast<long long>(report.value(QStringLiteral("layers")).toArray().size()), pb, pa, pb / pa, fb, fa, fb / fa);
    std::printf("test top-1: %.2f%% before, %.2f%% pruned", 100 * report.value(QStringLiteral("top1_before")).toDouble(),
                100 * report.value(QStringLiteral("top1_pruned")).toDouble());
    if (params.finetuneEpochs > 0)
        std::printf(", %.2f%% after %d fine-tuning epochs", 100 * report.value(QStringLiteral("top1_finetuned")).toDouble(),
                    params.finetuneEpochs);
    std::printf("\nweights: %s\n", qPrintable(report.value(QStringLiteral("weights")).toString()));
    return 0;
}

} // namespace ranklab::cli
