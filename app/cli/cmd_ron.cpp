// Paper B commands: spectrum (activation spectra) and ron (Reduced-Order Network student build).
#include <cstdio>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/error.h"
#include "core/ron/ron_job.h"

namespace ranklab::cli {

namespace {
void addSketchOptions(ArgParser& parser)
{
    parser.add({QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("the trained teacher (RankLab, PyTorch state dict or TorchScript)"), {}})
        .add({QStringLiteral("samples"), QStringLiteral("N"), QStringLiteral("training samples streamed through the teacher"), QStringLiteral("4096")})
        .add({QStringLiteral("method"), QStringLiteral("M"), QStringLiteral("auto (Gram for D ≤ 2048, else fd), gram, fd (Frequent Directions) or rand (two-pass range finder)"), QStringLiteral("auto")})
        .add({QStringLiteral("sketch-size"), QStringLiteral("L"), QStringLiteral("ℓ of fd / k of rand (raised to 2R when the rank is known)"), QStringLiteral("256")})
        .add({QStringLiteral("stream-batch"), QStringLiteral("B"), QStringLiteral("batch size while streaming activations"), QStringLiteral("128")})
        .add({QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0")})
        .add({QStringLiteral("out"), QStringLiteral("DIR"), QStringLiteral("output folder"), {}})
        .add({QStringLiteral("quiet"), {}, QStringLiteral("no progress on stderr"), {}})
        .add({QStringLiteral("json"), {}, QStringLiteral("print the result as one JSON line on stdout"), {}});
}

ron::SketchMethod sketchMethodFrom(const ArgParser& parser)
{
    return ron::parseSketchMethod(parser.choice(QStringLiteral("method"), {QStringLiteral("auto"), QStringLiteral("gram"), QStringLiteral("fd"), QStringLiteral("rand")}));
}
/// Adds the options both commands share, parses `args` and prints the help if it was asked for (returns
/// false then). On true, `params` holds the teacher, data and streaming options (SpectrumParams or RonParams).
template <class Params>
bool parseStreamingCommand(ArgParser& parser, const QStringList& args, Params& params)
{
    addSketchOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return false;
    }
    params.model = modelSpecFrom(parser, true);
    params.data = dataSpecFrom(parser);
    params.weights = parser.required(QStringLiteral("weights"));
    params.samples = parser.intValue(QStringLiteral("samples"), 1, 100000000);
    params.method = sketchMethodFrom(parser);
    params.sketchSize = parser.intValue(QStringLiteral("sketch-size"), 1, 1 << 16);
    params.batchSize = parser.intValue(QStringLiteral("stream-batch"), 1, 1 << 16);
    params.threads = parser.intValue(QStringLiteral("threads"), 0, 1024);
    return true;
}
} // namespace

int runSpectrum(const QStringList& args)
{
    ArgParser parser(QStringLiteral("spectrum"),
                     QStringLiteral("Singular values of layer outputs over N training samples (paper B §5.1, Fig. 1), streamed without holding the N × D matrix, with each layer's EVBMF rank."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("indices 4,15, ranges 1-5, names features.10 or blocks layer3.1, or all"), QStringLiteral("all")});
    ron::SpectrumParams params;
    if (!parseStreamingCommand(parser, args, params))
        return 0;
    params.data.augment = false;
    params.layers = parser.value(QStringLiteral("layers"));
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const ron::SpectrumReport report = ron::runSpectrum(params, out, printer.callbacks(), cancelFlag());
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(toJson(report));
        return 0;
    }
    for (const ron::LayerSpectrum& l : report.layers) {
        const double top = l.singularValues.empty() || l.singularValues.front() <= 0 ? 1 : l.singularValues.front();
        std::printf("%3d %-24s D %7lld  EVBMF rank %5lld  σ_2/σ_1 %.3g  σ_10/σ_1 %.3g\n", l.index, qPrintable(l.name),
                    static_cast<long long>(l.dim), static_cast<long long>(l.vbmfRank),
                    l.singularValues.size() > 1 ? l.singularValues[1] / top : 0.0,
                    l.singularValues.size() > 9 ? l.singularValues[9] / top : 0.0);
    }
    std::printf("spectra of %lld samples in %s (spectrum.json, spectrum.csv)\n", static_cast<long long>(report.samples),
                qPrintable(out));
    return 0;
}

int runRon(const QStringList& args)
{
    ArgParser parser(QStringLiteral("ron"),
                     QStringLiteral("Reduced-Order Network (paper B, Algorithm 1): replace layers K1..K2 by a small dense student built from activation bases and rect_maxvol rows, report errors (eqs. 19–20), accuracy, FLOPs and CPU latency, then optionally fine-tune."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("layers"), QStringLiteral("K1-K2"), QStringLiteral("the contiguous range of layers to replace (indices or names; whole residual blocks)"), {}})
        .add({QStringLiteral("rank"), QStringLiteral("RULE"), QStringLiteral("vbmf, vbmf:WF (weakened), factor:F (D/F, paper B's \"RON F×\") or a rank R"), QStringLiteral("vbmf")})
        .add({QStringLiteral("rows-ratio"), QStringLiteral("X"), QStringLiteral("rows P = X·R, X in [1, 2]"), QStringLiteral("1.5")})
        .add({QStringLiteral("rows-tol"), QStringLiteral("T"), QStringLiteral("choose P in [R, 2R] by rect_maxvol's tolerance instead of --rows-ratio"), {}})
        .add({QStringLiteral("held-out"), QStringLiteral("N"), QStringLiteral("test images for the per-layer error report"), QStringLiteral("1000")})
        .add({QStringLiteral("latency-repeats"), QStringLiteral("N"), QStringLiteral("timed forwards per latency figure (median; 0 skips timing)"), QStringLiteral("20")})
        .add({QStringLiteral("latency-threads"), QStringLiteral("T"), QStringLiteral("intra-op threads while timing"), QStringLiteral("1")})
        .add({QStringLiteral("finetune-epochs"), QStringLiteral("E"), QStringLiteral("fine-tuning epochs of the student (0: none)"), QStringLiteral("0")})
        .add({QStringLiteral("finetune-lr"), QStringLiteral("LR"), QStringLiteral("fine-tuning learning rate"), QStringLiteral("0.01")})
        .add({QStringLiteral("finetune-batch"), QStringLiteral("B"), QStringLiteral("fine-tuning batch size"), QStringLiteral("128")})
        .add({QStringLiteral("finetune-bn"), {}, QStringLiteral("insert BatchNorm after each student layer for fine-tuning (folded back afterwards)"), {}})
        .add({QStringLiteral("finetune-dropout"), QStringLiteral("P"), QStringLiteral("dropout before each student layer while fine-tuning"), QStringLiteral("0")})
        .add({QStringLiteral("weight-decay"), QStringLiteral("WD"), QStringLiteral("fine-tuning weight decay"), QStringLiteral("1e-4")})
        .add({QStringLiteral("seed"), QStringLiteral("S"), QStringLiteral("seed of the fine-tuning"), QStringLiteral("0")});
    ron::RonParams params;
    if (!parseStreamingCommand(parser, args, params))
        return 0;
    params.layers = parser.required(QStringLiteral("layers"));
    if (params.layers.contains(QLatin1Char(',')))
        throw UsageError(QStringLiteral("the modified layers must be one contiguous range K1-K2, not '%1'.").arg(params.layers));
    try {
        params.rank = ron::parseRankRule(parser.value(QStringLiteral("rank")));
    } catch (const Error& e) {
        throw UsageError(QString::fromUtf8(e.what()));
    }
    params.rowsRatio = parser.doubleValue(QStringLiteral("rows-ratio"), 1, 2);
    if (parser.isSet(QStringLiteral("rows-tol")))
        params.rowsTolerance = parser.doubleValue(QStringLiteral("rows-tol"), 1e-6, 1e6);
    params.heldOut = parser.intValue(QStringLiteral("held-out"), 0, 100000000);
    params.latencyRepeats = parser.intValue(QStringLiteral("latency-repeats"), 0, 100000);
    params.latencyThreads = parser.intValue(QStringLiteral("latency-threads"), 1, 1024);
    params.finetune.epochs = parser.intValue(QStringLiteral("finetune-epochs"), 0, 100000);
    params.finetune.lr = parser.doubleValue(QStringLiteral("finetune-lr"), 1e-12, 1e6);
    params.finetune.batchSize = parser.intValue(QStringLiteral("finetune-batch"), 1, 1 << 20);
    params.finetune.weightDecay = parser.doubleValue(QStringLiteral("weight-decay"), 0, 1e3);
    params.finetune.seed = parser.uint64Value(QStringLiteral("seed"));
    params.finetune.threads = params.threads;
    params.finetuneBatchNorm = parser.isSet(QStringLiteral("finetune-bn"));
    params.finetuneDropout = parser.doubleValue(QStringLiteral("finetune-dropout"), 0, 0.95);
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const ron::RonReport r = ron::runRon(params, out, printer.callbacks(), cancelFlag());
    if (r.status == QLatin1String("cancelled")) {
        std::fprintf(stderr, "ranklab-cli: fine-tuning cancelled; run the same command again to resume.\n");
        return 130;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(toJson(r));
        return 0;
    }
    for (const ron::RonLayerReport& l : r.layers)
        std::printf("%-22s D %6lld R %5lld P %5lld  ‖ε‖ %.3g  e %.3g ≤ %.3g (eq. 20)  student %.3g\n", qPrintable(l.name),
                    static_cast<long long>(l.dim), static_cast<long long>(l.rank), static_cast<long long>(l.rows),
                    l.lowRankError, l.sampledError, l.bound20, l.studentError);
    std::printf("modified layers %s: acc@1 teacher %.2f%%, student %.2f%%", qPrintable(r.modifiedLayers),
                100 * r.teacherTop1, 100 * r.studentTop1);
    if (r.finetunedTop1 >= 0)
        std::printf(", fine-tuned %.2f%%", 100 * r.finetunedTop1);
    std::printf("\nFLOP reduction %.2f× (modified part) %.2f× (whole net); params %lld → %lld; CPU speed-up %.2f× (batch 1) "
                "%.2f× (batch 64)\nstudent: %s\n",
                r.rangeFlopReduction, r.totalFlopReduction, static_cast<long long>(r.teacherParams),
                static_cast<long long>(r.studentParams), r.speedup1, r.speedup64, qPrintable(r.studentWeights));
    return 0;
}

} // namespace ranklab::cli
