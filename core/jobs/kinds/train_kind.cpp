// `train`: a zoo model trained on a data set into a run folder (resumable).
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/train/trainer.h"

namespace ranklab::kinds {

JobKind trainKind()
{
    JobKind k;
    k.id = QStringLiteral("train");
    k.title = QStringLiteral("Train");
    k.menu = QStringLiteral("Training");
    k.summary = QStringLiteral("train a model into a run folder (resumable)");
    k.help = QStringLiteral("Train a zoo model on a data set into a run folder (resumable with --resume).");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    addTrainerParams(k.schema);
    k.completionFiles = {QStringLiteral("summary.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.weightsParam = QStringLiteral("init-weights");
    k.run = [](const Params& p, JobContext& context) {
        const TrainParams params = trainParamsFrom(p);
        const QString out = p.required(QStringLiteral("out"));
        const TrainSummary summary = runTraining(params, out, p.flag(QStringLiteral("resume")), context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = toJson(summary);
        if (summary.status == QLatin1String("cancelled")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("training cancelled after %1 epochs; continue with --resume --out %2").arg(summary.epochsDone).arg(out);
            return result;
        }
        result.text = format("test top-1 %.2f%%, top-5 %.2f%% after %d epochs (%s of training); run folder %s\n", 100 * summary.finalTestTop1,
                             100 * summary.finalTestTop5, summary.epochsDone, qPrintable(formatDuration(summary.trainSeconds)), qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
