// `cost`: the basis-convolution cost model per conv layer (paper A §3.1), predicted and, with --measure,
// measured.
#include "core/basis/cost_model.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/basis_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/train/evaluate.h"

namespace ranklab::kinds {

JobKind costKind()
{
    JobKind k;
    k.id = QStringLiteral("cost");
    k.title = QStringLiteral("Basis cost model");
    k.menu = QStringLiteral("Basis convolutions");
    k.summary = QStringLiteral("basis-convolution cost model per conv layer (paper A)");
    k.help = QStringLiteral("The basis-convolution cost model per conv layer (paper A §3.1): parameters, N counts, the acceleration condition, "
                            "FLOPs, predicted and (with --measure) measured speed-up.");
    addModelParams(k.schema, false);
    addBasisParams(k.schema, false, {});
    k.schema.flag(QStringLiteral("measure"), QStringLiteral("also time forward+backward of every layer and form (median of repeats)"))
        .integer(QStringLiteral("batch"), QStringLiteral("B"), QStringLiteral("batch size of the measurement"), QStringLiteral("32"), 1, 4096)
        .integer(QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads of the measurement"), QStringLiteral("1"), 1, 1024)
        .flag(QStringLiteral("json"), QStringLiteral("print JSON on stdout"), QStringLiteral("output"))
        .presentationOnly();
    k.run = [](const Params& p, JobContext&) {
        const ModelSpec spec = modelSpecFrom(p, false);
        const basis::BasisSpec basisSpec = basisSpecFrom(p, false);
        const int threads = p.intValue(QStringLiteral("threads"));
        const int batch = p.intValue(QStringLiteral("batch"));
        setThreadCount(threads);
        basis::CostReport report;
        report.model = spec.name;
        report.size = basisSpec.size;
        report.beta = basisSpec.beta;
        report.layers = basis::basisCostModel(spec, basisSpec.size, basisSpec.beta, p.flag(QStringLiteral("measure")), batch);
        const QVector<basis::LayerCost>& costs = report.layers;
        JobResult result;
        result.report = basis::toJson(report);
        result.text = format("%5s  %-24s %6s %6s %6s %10s %10s %9s %9s %9s\n", "index", "name", "C_in", "C_out", "C'", "params", "pair par.", "cond.",
                             "pred. x", "meas. x");
        for (const basis::LayerCost& c : costs) {
            const QString measured = c.secondsPair > 0 ? QString::number(c.secondsConv / c.secondsPair, 'f', 2) : QStringLiteral("-");
            result.text += format("%5d  %-24s %6lld %6lld %6lld %10lld %10lld %9s %9.2f %9s\n", c.index, qPrintable(c.name),
                                  static_cast<long long>(c.cIn), static_cast<long long>(c.cOut), static_cast<long long>(c.basisCount),
                                  static_cast<long long>(c.paramsFull), static_cast<long long>(c.paramsPair),
                                  c.conditionLhs < c.conditionRhs ? "faster" : "slower", c.predictedSpeedup, qPrintable(measured));
        }
        result.text += format("pred. x: (N0f+N0b)/(N'''f+N'''b) of the copy+pair form; meas. x: Conv2d time / pair-form time (fwd+bwd)\n");
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
