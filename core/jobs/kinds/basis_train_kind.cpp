// `basis-train`: training with skip (paper A §4.2) — basis convs in the chosen layers for the first --skip
// epochs, then composed back to full convs for the rest (resumable).
#include "core/basis/skip_training.h"
#include "core/error.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/basis_params.h"
#include "core/jobs/kinds/kinds.h"

namespace ranklab::kinds {

JobKind basisTrainKind()
{
    JobKind k;
    k.id = QStringLiteral("basis-train");
    k.title = QStringLiteral("Basis training with skip");
    k.menu = QStringLiteral("Basis convolutions");
    k.summary = QStringLiteral("training with skip: basis convs first, then full convs (paper A)");
    k.help = QStringLiteral("Training with skip (paper A §4.2): basis convolutions in the chosen layers for the first --skip epochs, then "
                            "composed back to full convolutions for the rest, LR schedule untouched.");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema
        .typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"),
               QStringLiteral("conv layers: indices 4,15, ranges 1-5, names layer3.0.conv2, or all"))
        .req();
    addBasisParams(k.schema, true, QStringLiteral("qr"));
    k.schema.setDefault(QStringLiteral("init"), QStringLiteral("qr"), QStringLiteral("random, qr or svd (of the current or --init-from weights)"));
    // The upper bound is --epochs, checked when the job runs; the declaration holds the largest --epochs.
    k.schema
        .integer(QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("epochs trained with basis convolutions (1..epochs)"), {}, 1,
                 100000)
        .typed(ParamType::File, QStringLiteral("init-from"), QStringLiteral("FILE"),
               QStringLiteral("trained weights to start from (their filters seed qr/svd)"));
    addTrainerParams(k.schema);
    k.completionFiles = {QStringLiteral("summary.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("init-weights");
    k.run = [](const Params& p, JobContext& context) {
        basis::BasisTrainParams params;
        params.train = trainParamsFrom(p);
        if (p.isSet(QStringLiteral("init-from"))) {
            if (p.isSet(QStringLiteral("init-weights")))
                throw OptionError(QStringLiteral("--init-from and --init-weights name the same thing; give one."));
            params.train.initWeights = p.value(QStringLiteral("init-from"));
        }
        params.layers = p.required(QStringLiteral("layers"));
        params.basis = basisSpecFrom(p, true);
        params.skipEpochs = p.intValue(QStringLiteral("skip"), 1, params.train.epochs);
        const QString out = p.required(QStringLiteral("out"));
        const TrainSummary summary =
            basis::runBasisTraining(params, out, p.flag(QStringLiteral("resume")), context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = toJson(summary);
        if (summary.status == QLatin1String("cancelled")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("training cancelled after %1 epochs; continue with --resume --out %2").arg(summary.epochsDone).arg(out);
            return result;
        }
        result.text = format("test top-1 %.2f%% after %d epochs (%d with basis convs); basis phase %s, full phase %s; run folder %s\n",
                             100 * summary.finalTestTop1, summary.epochsDone, params.skipEpochs,
                             qPrintable(formatDuration(summary.extra.value(QStringLiteral("basis_seconds")).toDouble())),
                             qPrintable(formatDuration(summary.extra.value(QStringLiteral("full_seconds")).toDouble())), qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
