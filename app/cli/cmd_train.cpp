#include <cstdio>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/train/trainer.h"

namespace ranklab::cli {

int runTrain(const QStringList& args)
{
    ArgParser parser(QStringLiteral("train"), QStringLiteral("Train a zoo model on a data set into a run folder (resumable with --resume)."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    const TrainParams params = trainParamsFrom(parser);
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const TrainSummary summary = runTraining(params, out, parser.isSet(QStringLiteral("resume")), printer.callbacks(), cancelFlag());
    if (summary.status == QLatin1String("cancelled")) {
        std::fprintf(stderr, "ranklab-cli: training cancelled after %d epochs; continue with --resume --out %s\n",
                     summary.epochsDone, qPrintable(out));
        return 130;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(toJson(summary));
    } else {
        std::printf("test top-1 %.2f%%, top-5 %.2f%% after %d epochs (%s of training); run folder %s\n",
                    100 * summary.finalTestTop1, 100 * summary.finalTestTop5, summary.epochsDone,
                    qPrintable(formatDuration(summary.trainSeconds)), qPrintable(out));
    }
    return 0;
}

} // namespace ranklab::cli
