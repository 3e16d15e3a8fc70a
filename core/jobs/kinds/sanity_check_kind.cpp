// `sanity-check`: paper A §4.3 — a baseline, bases extracted from its trained weights (QR/SVD, several
// sizes), and networks trained from them from --start of the schedule, beside the "copy" and "random"
// controls (resumable).
#include <QJsonArray>

#include "core/basis/sanity_check.h"
#include "core/error.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"

namespace ranklab::kinds {

JobKind sanityCheckKind()
{
    JobKind k;
    k.id = QStringLiteral("sanity-check");
    k.title = QStringLiteral("Sanity check (QR/SVD bases)");
    k.menu = QStringLiteral("Basis convolutions");
    k.summary = QStringLiteral("paper A §4.3: baseline, bases extracted by QR/SVD, training from 0.7 of the schedule");
    k.help = QStringLiteral("Paper A §4.3 sanity check: train a baseline, extract basis convs from its trained weights (QR or SVD, several "
                            "sizes), and train networks initialised from them from --start of the schedule to the end, beside the \"copy\" "
                            "(trained weights) and \"random\" controls. Resumable.");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema
        .typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"),
               QStringLiteral("conv layers: indices 4,15, ranges 1-5, names layer3.0.conv2, or all"), QStringLiteral("all"))
        .text(QStringLiteral("sizes"), QStringLiteral("S1,S2,.."),
              QStringLiteral("basis sizes: fractions of C_out (0.1) or counts (1), as paper A's \"Size\""), QStringLiteral("0.1,0.5"))
        .text(QStringLiteral("init"), QStringLiteral("qr,svd"), QStringLiteral("how bases are extracted from the trained weights: qr, svd or both"),
              QStringLiteral("qr"))
        .choice(QStringLiteral("form"), basis::formNames(), QStringLiteral("weight, output or pair (paper A §3.1)"), QStringLiteral("output"))
        .shownAs(QStringLiteral("F"))
        .number(QStringLiteral("beta"), QStringLiteral("B"), QStringLiteral("pair form: fraction of two-term outputs"), QStringLiteral("0"), 0, 1)
        .number(QStringLiteral("start"), QStringLiteral("F"), QStringLiteral("fraction of the schedule skipped by the re-initialised runs (paper A: 0.7)"),
                QStringLiteral("0.7"), 0, 1)
        .typed(ParamType::File, QStringLiteral("baseline-weights"), QStringLiteral("FILE"),
               QStringLiteral("trained weights to use instead of training the baseline"))
        .flag(QStringLiteral("no-controls"), QStringLiteral("skip the \"copy\" and \"random\" control runs"));
    addTrainerParams(k.schema);
    k.schema.remove(QStringLiteral("init-weights")); // it starts from its own baseline (--baseline-weights)
    k.completionFiles = {QStringLiteral("summary.json")};
    k.runFolderParam = QStringLiteral("out");
    k.resumeParam = QStringLiteral("resume");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("baseline-weights");
    k.run = [](const Params& p, JobContext& context) {
        basis::SanityCheckParams params;
        params.train = trainParamsFrom(p);
        params.layers = p.value(QStringLiteral("layers"));
        params.sizes.clear();
        params.inits.clear();
        try {
            for (const QString& s : p.value(QStringLiteral("sizes")).split(QLatin1Char(','), Qt::SkipEmptyParts))
                params.sizes.append(basis::parseSize(s.trimmed()));
            for (const QString& s : p.value(QStringLiteral("init")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                params.inits.append(basis::parseInit(s.trimmed()));
                if (params.inits.last() == basis::BasisInit::Random)
                    throw OptionError(QStringLiteral("--init must be qr or svd: the sanity check extracts bases from trained "
                                                     "weights (the \"random\" control runs anyway)."));
            }
            params.form = basis::parseForm(p.choice(QStringLiteral("form")));
        } catch (const OptionError&) {
            throw;
        } catch (const Error& e) {
            throw OptionError(e.what());
        }
        params.beta = p.doubleValue(QStringLiteral("beta"));
        params.startFraction = p.doubleValue(QStringLiteral("start"));
        params.baselineWeights = p.value(QStringLiteral("baseline-weights"));
        params.controls = !p.flag(QStringLiteral("no-controls"));
        try {
            basis::sanityStartEpoch(params);
        } catch (const OptionError&) {
            throw;
        } catch (const Error& e) {
            throw OptionError(e.what());
        }
        const QString out = p.required(QStringLiteral("out"));
        const QJsonObject summary = basis::runSanityCheck(params, out, p.flag(QStringLiteral("resume")), context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = summary;
        if (summary.value(QStringLiteral("status")).toString() != QLatin1String("completed")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("sanity check cancelled; continue with --resume --out %1").arg(out);
            return result;
        }
        result.text = format("baseline test top-1 %.2f%%; re-initialised runs train from epoch %d of %d\n",
                             100 * summary.value(QStringLiteral("baseline_top1")).toDouble(), summary.value(QStringLiteral("start_epoch")).toInt(),
                             params.train.epochs);
        result.text += format("%-12s %-8s %6s %10s %8s %9s %10s\n", "run", "init", "size", "params", "top-1", "time", "rec. err");
        for (const QJsonValue& v : summary.value(QStringLiteral("runs")).toArray()) {
            const basis::SanityRunResult r = basis::sanityRunResultFromJson(v.toObject());
            result.text += format("%-12s %-8s %6g %10lld %7.2f%% %9s %10s\n", qPrintable(r.name), qPrintable(r.init), r.size,
                                  static_cast<long long>(r.params), 100 * r.finalTestTop1, qPrintable(formatDuration(r.trainSeconds)),
                                  r.meanReconstructionError < 0 ? "-" : qPrintable(QString::number(r.meanReconstructionError, 'f', 4)));
        }
        result.text += format("results: %s/sanity.csv\n", qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
