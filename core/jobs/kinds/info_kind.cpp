// `info`: a model's layer registry — index, name, shapes, parameters, FLOPs.
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/models/registry.h"

namespace ranklab::kinds {

JobKind infoKind()
{
    JobKind k;
    k.id = QStringLiteral("info");
    k.title = QStringLiteral("Model layers");
    k.menu = QStringLiteral("Model");
    k.summary = QStringLiteral("list a model's layers: index, name, shapes, parameters, FLOPs");
    k.help = QStringLiteral("List a model's conv and linear layers (the layer registry) with shapes, parameters and FLOPs.");
    addModelParams(k.schema, false);
    addOutputParams(k.schema, false);
    k.run = [](const Params& p, JobContext&) {
        const ModelInfo info = describeModel(modelSpecFrom(p, false));
        JobResult result;
        result.report = modelInfoToJson(info);
        auto shape = [](const QVector<qint64>& v) {
            QStringList parts;
            for (qint64 x : v)
                parts << QString::number(x);
            return parts.join(QLatin1Char('x'));
        };
        result.text = format("%s: %lld parameters, %.4g FLOPs per image (2 x multiply-adds; conv and linear layers)\n", qPrintable(info.spec.name),
                             static_cast<long long>(info.totalParams), double(info.totalFlops));
        result.text += format("%5s  %-24s %-8s %-16s %-14s %-14s %12s %14s\n", "index", "name", "type", "weight", "in", "out", "params", "FLOPs");
        for (const LayerInfo& l : info.layers)
            result.text += format("%5d  %-24s %-8s %-16s %-14s %-14s %12lld %14lld\n", l.index, qPrintable(l.name), qPrintable(l.type),
                                  qPrintable(shape(l.weightShape)), qPrintable(shape(l.inShape)), qPrintable(shape(l.outShape)),
                                  static_cast<long long>(l.params), static_cast<long long>(l.flops));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
