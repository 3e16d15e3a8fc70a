#include <cstdio>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/train/evaluate.h"

namespace ranklab::cli {

int runEval(const QStringList& args)
{
    ArgParser parser(QStringLiteral("eval"), QStringLiteral("Evaluate a weights file on a data set's test split (top-1, top-5, loss)."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("RankLab checkpoint, PyTorch state dict or TorchScript archive"), {}})
        .add({QStringLiteral("batch-size"), QStringLiteral("B"), QStringLiteral("evaluation batch size"), QStringLiteral("512")})
        .add({QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0")})
        .add({QStringLiteral("predictions"), QStringLiteral("FILE.csv"), QStringLiteral("write index,label,predicted,logits per test sample"), {}})
        .add({QStringLiteral("json"), {}, QStringLiteral("print JSON on stdout"), {}});
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    EvalParams params;
    params.model = modelSpecFrom(parser, true);
    params.data = dataSpecFrom(parser);
    params.data.augment = false;
    params.weights = parser.required(QStringLiteral("weights"));
    params.batchSize = parser.intValue(QStringLiteral("batch-size"), 1, 1 << 20);
    params.threads = parser.intValue(QStringLiteral("threads"), 0, 1024);
    params.predictionsCsv = parser.value(QStringLiteral("predictions"));
    const EvalResult result = evaluateWeights(params);
    if (parser.isSet(QStringLiteral("json")))
        printJsonLine(toJson(result));
    else
        std::printf("top-1 %.2f%%  top-5 %.2f%%  loss %.4f  on %lld test images\n", 100 * result.top1, 100 * result.top5,
                    result.loss, static_cast<long long>(result.samples));
    return 0;
}

} // namespace ranklab::cli
