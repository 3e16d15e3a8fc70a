// Paper A commands: basis-train (training with skip), sanity-check (§4.3) and cost (the basis-convolution cost
// model).
#include <cstdio>

#include <QJsonArray>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/basis/cost_model.h"
#include "core/basis/sanity_check.h"
#include "core/basis/skip_training.h"
#include "core/error.h"
#include "core/train/evaluate.h"

namespace ranklab::cli {

namespace {
/// --size and --beta (and, with `withFormAndInit`, --form and --init) as a validated BasisSpec; its errors are
/// usage errors (exit 2).
basis::BasisSpec basisSpecFrom(const ArgParser& parser, bool withFormAndInit)
{
    basis::BasisSpec spec;
    try {
        spec.size = basis::parseSize(parser.required(QStringLiteral("size")));
        spec.beta = parser.doubleValue(QStringLiteral("beta"), -1e9, 1e9);
        if (withFormAndInit) {
            spec.form = basis::parseForm(parser.value(QStringLiteral("form")));
            spec.init = basis::parseInit(parser.value(QStringLiteral("init")));
        }
        basis::validateBasisSpec(spec);
    } catch (const Error& e) {
        throw UsageError(QString::fromUtf8(e.what()));
    }
    return spec;
}

void addBasisOptions(ArgParser& parser, bool withInit)
{
    parser.add({QStringLiteral("size"), QStringLiteral("S"), QStringLiteral("basis size: a fraction of C_out (0.5) or a count (8), as paper A's \"Size\""), {}})
        .add({QStringLiteral("beta"), QStringLiteral("B"), QStringLiteral("pair form: fraction of outputs that are sums of two basis outputs"), QStringLiteral("0")});
    if (withInit)
        parser.add({QStringLiteral("form"), QStringLiteral("F"), QStringLiteral("weight, output or pair (paper A §3.1)"), QStringLiteral("pair")})
            .add({QStringLiteral("init"), QStringLiteral("I"), QStringLiteral("random, qr or svd (of the current or --init-from weights)"), QStringLiteral("qr")});
}
} // namespace

int runBasisTrain(const QStringList& args)
{
    ArgParser parser(QStringLiteral("basis-train"),
                     QStringLiteral("Training with skip (paper A §4.2): basis convolutions in the chosen layers for the first --skip epochs, then composed back to full convolutions for the rest, LR schedule untouched."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("conv layers: indices 4,15, ranges 1-5, names layer3.0.conv2, or all"), {}});
    addBasisOptions(parser, true);
    parser.add({QStringLiteral("skip"), QStringLiteral("EPOCHS"), QStringLiteral("epochs trained with basis convolutions (1..epochs)"), {}})
        .add({QStringLiteral("init-from"), QStringLiteral("FILE"), QStringLiteral("trained weights to start from (their filters seed qr/svd)"), {}});
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    basis::BasisTrainParams params;
    params.train = trainParamsFrom(parser);
    if (parser.isSet(QStringLiteral("init-from"))) {
        if (parser.isSet(QStringLiteral("init-weights")))
            throw UsageError(QStringLiteral("--init-from and --init-weights name the same thing; give one."));
        params.train.initWeights = parser.value(QStringLiteral("init-from"));
    }
    params.layers = parser.required(QStringLiteral("layers"));
    params.basis = basisSpecFrom(parser, true);
    params.skipEpochs = parser.intValue(QStringLiteral("skip"), 1, params.train.epochs);
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const TrainSummary summary =
        basis::runBasisTraining(params, out, parser.isSet(QStringLiteral("resume")), printer.callbacks(), cancelFlag());
    if (summary.status == QLatin1String("cancelled")) {
        std::fprintf(stderr, "ranklab-cli: training cancelled after %d epochs; continue with --resume --out %s\n",
                     summary.epochsDone, qPrintable(out));
        return 130;
    }
    if (parser.isSet(QStringLiteral("json")))
        printJsonLine(toJson(summary));
    else
        std::printf("test top-1 %.2f%% after %d epochs (%d with basis convs); basis phase %s, full phase %s; run folder %s\n",
                    100 * summary.finalTestTop1, summary.epochsDone, params.skipEpochs,
                    qPrintable(formatDuration(summary.extra.value(QStringLiteral("basis_seconds")).toDouble())),
                    qPrintable(formatDuration(summary.extra.value(QStringLiteral("full_seconds")).toDouble())), qPrintable(out));
    return 0;
}

int runSanityCheck(const QStringList& args)
{
    ArgParser parser(QStringLiteral("sanity-check"),
                     QStringLiteral("Paper A §4.3 sanity check: train a baseline, extract basis convs from its trained weights (QR or SVD, several sizes), and train networks initialised from them from --start of the schedule to the end, beside the \"copy\" (trained weights) and \"random\" controls. Resumable."));
    addModelOptions(parser, true);
    addDataOptions(parser);
    parser.add({QStringLiteral("layers"), QStringLiteral("LIST"), QStringLiteral("conv layers: indices 4,15, ranges 1-5, names layer3.0.conv2, or all"), QStringLiteral("all")})
        .add({QStringLiteral("sizes"), QStringLiteral("S1,S2,.."), QStringLiteral("basis sizes: fractions of C_out (0.1) or counts (1), as paper A's \"Size\""), QStringLiteral("0.1,0.5")})
        .add({QStringLiteral("init"), QStringLiteral("qr,svd"), QStringLiteral("how bases are extracted from the trained weights: qr, svd or both"), QStringLiteral("qr")})
        .add({QStringLiteral("form"), QStringLiteral("F"), QStringLiteral("weight, output or pair (paper A §3.1)"), QStringLiteral("output")})
        .add({QStringLiteral("beta"), QStringLiteral("B"), QStringLiteral("pair form: fraction of two-term outputs"), QStringLiteral("0")})
        .add({QStringLiteral("start"), QStringLiteral("F"), QStringLiteral("fraction of the schedule skipped by the re-initialised runs (paper A: 0.7)"), QStringLiteral("0.7")})
        .add({QStringLiteral("baseline-weights"), QStringLiteral("FILE"), QStringLiteral("trained weights to use instead of training the baseline"), {}})
        .add({QStringLiteral("no-controls"), {}, QStringLiteral("skip the \"copy\" and \"random\" control runs"), {}});
    addTrainerOptions(parser);
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    basis::SanityCheckParams params;
    params.train = trainParamsFrom(parser);
    if (!params.train.initWeights.isEmpty())
        throw UsageError(QStringLiteral("the sanity check starts from its own baseline; use --baseline-weights for trained weights."));
    params.layers = parser.value(QStringLiteral("layers"));
    params.sizes.clear();
    params.inits.clear();
    try {
        for (const QString& s : parser.value(QStringLiteral("sizes")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            params.sizes.append(basis::parseSize(s.trimmed()));
        for (const QString& s : parser.value(QStringLiteral("init")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            params.inits.append(basis::parseInit(s.trimmed()));
            if (params.inits.last() == basis::BasisInit::Random)
                throw UsageError(QStringLiteral("--init must be qr or svd: the sanity check extracts bases from trained "
                                                "weights (the \"random\" control runs anyway)."));
        }
        params.form = basis::parseForm(parser.value(QStringLiteral("form")));
    } catch (const Error& e) {
        throw UsageError(QString::fromUtf8(e.what()));
    }
    params.beta = parser.doubleValue(QStringLiteral("beta"), 0, 1);
    params.startFraction = parser.doubleValue(QStringLiteral("start"), 0, 1);
    params.baselineWeights = parser.value(QStringLiteral("baseline-weights"));
    params.controls = !parser.isSet(QStringLiteral("no-controls"));
    try {
        basis::sanityStartEpoch(params);
    } catch (const Error& e) {
        throw UsageError(QString::fromUtf8(e.what()));
    }
    const QString out = parser.required(QStringLiteral("out"));
    ProgressPrinter printer(parser.isSet(QStringLiteral("quiet")));
    const QJsonObject summary =
        basis::runSanityCheck(params, out, parser.isSet(QStringLiteral("resume")), printer.callbacks(), cancelFlag());
    if (summary.value(QStringLiteral("status")).toString() != QLatin1String("completed")) {
        std::fprintf(stderr, "ranklab-cli: sanity check cancelled; continue with --resume --out %s\n", qPrintable(out));
        return 130;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(summary);
        return 0;
    }
    std::printf("baseline test top-1 %.2f%%; re-initialised runs train from epoch %d of %d\n",
                100 * summary.value(QStringLiteral("baseline_top1")).toDouble(),
                summary.value(QStringLiteral("start_epoch")).toInt(), params.train.epochs);
    std::printf("%-12s %-8s %6s %10s %8s %9s %10s\n", "run", "init", "size", "params", "top-1", "time", "rec. err");
    for (const QJsonValue& v : summary.value(QStringLiteral("runs")).toArray()) {
        const QJsonObject r = v.toObject();
        const double err = r.value(QStringLiteral("mean_reconstruction_error")).toDouble();
        std::printf("%-12s %-8s %6g %10lld %7.2f%% %9s %10s\n", qPrintable(r.value(QStringLiteral("name")).toString()),
                    qPrintable(r.value(QStringLiteral("init")).toString()), r.value(QStringLiteral("size")).toDouble(),
                    static_cast<long long>(r.value(QStringLiteral("params")).toDouble()),
                    100 * r.value(QStringLiteral("final_test_top1")).toDouble(),
                    qPrintable(formatDuration(r.value(QStringLiteral("train_seconds")).toDouble())),
                    err < 0 ? "-" : qPrintable(QString::number(err, 'f', 4)));
    }
    std::printf("results: %s/sanity.csv\n", qPrintable(out));
    return 0;
}

int runCost(const QStringList& args)
{
    ArgParser parser(QStringLiteral("cost"),
                     QStringLiteral("The basis-convolution cost model per conv layer (paper A §3.1): parameters, N counts, the acceleration condition, FLOPs, predicted and (with --measure) measured speed-up."));
    addModelOptions(parser, false);
    addBasisOptions(parser, false);
    parser.add({QStringLiteral("measure"), {}, QStringLiteral("also time forward+backward of every layer and form (median of repeats)"), {}})
        .add({QStringLiteral("batch"), QStringLiteral("B"), QStringLiteral("batch size of the measurement"), QStringLiteral("32")})
        .add({QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads of the measurement"), QStringLiteral("1")})
        .add({QStringLiteral("json"), {}, QStringLiteral("print JSON on stdout"), {}});
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    const ModelSpec spec = modelSpecFrom(parser, false);
    const basis::BasisSpec basisSpec = basisSpecFrom(parser, false);
    const int threads = parser.intValue(QStringLiteral("threads"), 1, 1024);
    setThreadCount(threads);
    const QVector<basis::LayerCost> costs = basis::basisCostModel(spec, basisSpec.size, basisSpec.beta,
                                                                   parser.isSet(QStringLiteral("measure")),
                                                                   parser.intValue(QStringLiteral("batch"), 1, 4096));
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray layers;
        for (const basis::LayerCost& c : costs)
            layers.append(basis::toJson(c));
        printJsonLine(QJsonObject{{QStringLiteral("model"), spec.name},
                                  {QStringLiteral("size"), basisSpec.size},
                                  {QStringLiteral("beta"), basisSpec.beta},
                                  {QStringLiteral("layers"), layers}});
        return 0;
    }
    std::printf("%5s  %-24s %6s %6s %6s %10s %10s %9s %9s %9s\n", "index", "name", "C_in", "C_out", "C'", "params", "pair par.",
                "cond.", "pred. x", "meas. x");
    for (const basis::LayerCost& c : costs) {
        const QString measured = c.secondsPair > 0 ? QString::number(c.secondsConv / c.secondsPair, 'f', 2) : QStringLiteral("-");
        std::printf("%5d  %-24s %6lld %6lld %6lld %10lld %10lld %9s %9.2f %9s\n", c.index, qPrintable(c.name),
                    static_cast<long long>(c.cIn), static_cast<long long>(c.cOut), static_cast<long long>(c.basisCount),
                    static_cast<long long>(c.paramsFull), static_cast<long long>(c.paramsPair),
                    c.conditionLhs < c.conditionRhs ? "faster" : "slower", c.predictedSpeedup, qPrintable(measured));
    }
    std::printf("pred. x: (N0f+N0b)/(N'''f+N'''b) of the copy+pair form; meas. x: Conv2d time / pair-form time (fwd+bwd)\n");
    return 0;
}

} // namespace ranklab::cli
