// `eval`: a weights file evaluated on a data set's test split (top-1, top-5, loss).
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/train/evaluate.h"

namespace ranklab::kinds {

JobKind evalKind()
{
    JobKind k;
    k.id = QStringLiteral("eval");
    k.title = QStringLiteral("Evaluate weights");
    k.menu = QStringLiteral("Model");
    k.summary = QStringLiteral("evaluate weights on a test split");
    k.help = QStringLiteral("Evaluate a weights file on a data set's test split (top-1, top-5, loss).");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema
        .typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"),
               QStringLiteral("RankLab checkpoint, PyTorch state dict or TorchScript archive"))
        .req()
        .integer(QStringLiteral("batch-size"), QStringLiteral("B"), QStringLiteral("evaluation batch size"), QStringLiteral("512"), 1, 1 << 20)
        .integer(QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0"), 0, 1024)
        .typed(ParamType::SaveFile, QStringLiteral("predictions"), QStringLiteral("FILE.csv"),
               QStringLiteral("write index,label,predicted,logits per test sample"))
        .flag(QStringLiteral("json"), QStringLiteral("print JSON on stdout"), QStringLiteral("output"))
        .presentationOnly();
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& ctx) {
        EvalParams params;
        params.model = modelSpecFrom(p, true);
        params.data = dataSpecFrom(p);
        params.data.augment = false;
        params.weights = p.required(QStringLiteral("weights"));
        params.batchSize = p.intValue(QStringLiteral("batch-size"));
        params.threads = p.intValue(QStringLiteral("threads"));
        params.predictionsCsv = p.value(QStringLiteral("predictions"));
        const EvalResult eval = evaluateWeights(params, [&ctx](const QString& line) { ctx.log(line); });
        JobResult result;
        result.report = toJson(eval);
        result.text = format("top-1 %.2f%%  top-5 %.2f%%  loss %.4f  on %lld test images\n", 100 * eval.top1, 100 * eval.top5, eval.loss,
                             static_cast<long long>(eval.samples));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
