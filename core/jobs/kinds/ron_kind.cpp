// `ron`: the Reduced-Order Network of paper B (Algorithm 1) — a contiguous range of layers replaced by a
// small dense student, with errors, accuracy, FLOPs and latency reported, then optional fine-tuning.
#include "core/error.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/sketch_params.h"

namespace ranklab::kinds {

JobKind ronKind()
{
    JobKind k;
    k.id = QStringLiteral("ron");
    k.title = QStringLiteral("RON student");
    k.menu = QStringLiteral("Reduced order");
    k.summary = QStringLiteral("Reduced-Order Network student of a layer range, with report (paper B)");
    k.help = QStringLiteral("Reduced-Order Network (paper B, Algorithm 1): replace layers K1..K2 by a small dense student built from activation bases "
                            "and rect_maxvol rows, report errors (eqs. 19–20), accuracy, FLOPs and CPU latency, then optionally fine-tune.");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema
        .typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("K1-K2"),
               QStringLiteral("the contiguous range of layers to replace (indices or names; whole residual blocks)"))
        .req()
        .text(QStringLiteral("rank"), QStringLiteral("RULE"),
              QStringLiteral("vbmf, vbmf:WF (weakened), factor:F (D/F, paper B's \"RON F×\") or a rank R"), QStringLiteral("vbmf"))
        .number(QStringLiteral("rows-ratio"), QStringLiteral("X"), QStringLiteral("rows P = X·R, X in [1, 2]"), QStringLiteral("1.5"), 1, 2)
        .number(QStringLiteral("rows-tol"), QStringLiteral("T"), QStringLiteral("choose P in [R, 2R] by rect_maxvol's tolerance instead of --rows-ratio"),
                {}, 1e-6, 1e6)
        .integer(QStringLiteral("held-out"), QStringLiteral("N"), QStringLiteral("test images for the per-layer error report"), QStringLiteral("1000"), 0,
                 100000000)
        .integer(QStringLiteral("latency-repeats"), QStringLiteral("N"), QStringLiteral("timed forwards per latency figure (median; 0 skips timing)"),
                 QStringLiteral("20"), 0, 100000)
        .integer(QStringLiteral("latency-threads"), QStringLiteral("T"), QStringLiteral("intra-op threads while timing"), QStringLiteral("1"), 1, 1024)
        .integer(QStringLiteral("finetune-epochs"), QStringLiteral("E"), QStringLiteral("fine-tuning epochs of the student (0: none)"), QStringLiteral("0"),
                 0, 100000)
        .number(QStringLiteral("finetune-lr"), QStringLiteral("LR"), QStringLiteral("fine-tuning learning rate"), QStringLiteral("0.01"), 1e-12, 1e6)
        .integer(QStringLiteral("finetune-batch"), QStringLiteral("B"), QStringLiteral("fine-tuning batch size"), QStringLiteral("128"), 1, 1 << 20)
        .flag(QStringLiteral("finetune-bn"), QStringLiteral("insert BatchNorm after each student layer for fine-tuning (folded back afterwards)"))
        .number(QStringLiteral("finetune-dropout"), QStringLiteral("P"), QStringLiteral("dropout before each student layer while fine-tuning"),
                QStringLiteral("0"), 0, 0.95)
        .number(QStringLiteral("weight-decay"), QStringLiteral("WD"), QStringLiteral("fine-tuning weight decay"), QStringLiteral("1e-4"), 0, 1e3)
        .typed(ParamType::UInt64, QStringLiteral("seed"), QStringLiteral("S"), QStringLiteral("seed of the fine-tuning"), QStringLiteral("0"));
    addSketchParams(k.schema);
    k.completionFiles = {QStringLiteral("report.json")};
    k.runFolderParam = QStringLiteral("out");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& context) {
        ron::RonParams params;
        streamingParamsFrom(p, params);
        params.layers = p.required(QStringLiteral("layers"));
        if (params.layers.contains(QLatin1Char(',')))
            throw OptionError(QStringLiteral("the modified layers must be one contiguous range K1-K2, not '%1'.").arg(params.layers));
        try {
            params.rank = ron::parseRankRule(p.value(QStringLiteral("rank")));
        } catch (const Error& e) {
            throw OptionError(QString::fromUtf8(e.what()));
        }
        params.rowsRatio = p.doubleValue(QStringLiteral("rows-ratio"));
        if (p.isSet(QStringLiteral("rows-tol")))
            params.rowsTolerance = p.doubleValue(QStringLiteral("rows-tol"));
        params.heldOut = p.intValue(QStringLiteral("held-out"));
        params.latencyRepeats = p.intValue(QStringLiteral("latency-repeats"));
        params.latencyThreads = p.intValue(QStringLiteral("latency-threads"));
        params.finetune.epochs = p.intValue(QStringLiteral("finetune-epochs"));
        params.finetune.lr = p.doubleValue(QStringLiteral("finetune-lr"));
        params.finetune.batchSize = p.intValue(QStringLiteral("finetune-batch"));
        params.finetune.weightDecay = p.doubleValue(QStringLiteral("weight-decay"));
        params.finetune.seed = p.uint64Value(QStringLiteral("seed"));
        params.finetune.threads = params.threads;
        params.finetuneBatchNorm = p.flag(QStringLiteral("finetune-bn"));
        params.finetuneDropout = p.doubleValue(QStringLiteral("finetune-dropout"));
        const QString out = p.required(QStringLiteral("out"));
        const ron::RonReport r = ron::runRon(params, out, context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        if (r.status == QLatin1String("cancelled")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("fine-tuning cancelled; run the same command again to resume.");
            return result;
        }
        result.report = toJson(r);
        for (const ron::RonLayerReport& l : r.layers)
            result.text += format("%-22s D %6lld R %5lld P %5lld  ‖ε‖ %.3g  e %.3g ≤ %.3g (eq. 20)  student %.3g\n", qPrintable(l.name),
                                  static_cast<long long>(l.dim), static_cast<long long>(l.rank), static_cast<long long>(l.rows), l.lowRankError,
                                  l.sampledError, l.bound20, l.studentError);
        result.text += format("modified layers %s: acc@1 teacher %.2f%%, student %.2f%%", qPrintable(r.modifiedLayers), 100 * r.teacherTop1,
                              100 * r.studentTop1);
        if (r.finetunedTop1 >= 0)
            result.text += format(", fine-tuned %.2f%%", 100 * r.finetunedTop1);
        result.text += format("\nFLOP reduction %.2f× (modified part) %.2f× (whole net); params %lld → %lld; CPU speed-up %.2f× (batch 1) "
                              "%.2f× (batch 64)\nstudent: %s\n",
                              r.rangeFlopReduction, r.totalFlopReduction, static_cast<long long>(r.teacherParams),
                              static_cast<long long>(r.studentParams), r.speedup1, r.speedup64, qPrintable(r.studentWeights));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
