#include <cstdio>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/models/registry.h"

namespace ranklab::cli {

int runInfo(const QStringList& args)
{
    ArgParser parser(QStringLiteral("info"), QStringLiteral("List a model's conv and linear layers (the layer registry) with shapes, parameters and FLOPs."));
    addModelOptions(parser, false);
    parser.add({QStringLiteral("json"), {}, QStringLiteral("print JSON on stdout"), {}});
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    const ModelInfo info = describeModel(modelSpecFrom(parser, false));
    if (parser.isSet(QStringLiteral("json"))) {
        printJsonLine(modelInfoToJson(info));
        return 0;
    }
    auto shape = [](const QVector<qint64>& v) {
        QStringList parts;
        for (qint64 x : v)
            parts << QString::number(x);
        return parts.join(QLatin1Char('x'));
    };
    std::printf("%s: %lld parameters, %.4g FLOPs per image (2 x multiply-adds; conv and linear layers)\n",
                qPrintable(info.spec.name), static_cast<long long>(info.totalParams), double(info.totalFlops));
    std::printf("%5s  %-24s %-8s %-16s %-14s %-14s %12s %14s\n", "index", "name", "type", "weight", "in", "out", "params", "FLOPs");
    for (const LayerInfo& l : info.layers)
        std::printf("%5d  %-24s %-8s %-16s %-14s %-14s %12lld %14lld\n", l.index, qPrintable(l.name), qPrintable(l.type),
                    qPrintable(shape(l.weightShape)), qPrintable(shape(l.inShape)), qPrintable(shape(l.outShape)),
                    static_cast<long long>(l.params), static_cast<long long>(l.flops));
    return 0;
}

} // namespace ranklab::cli
