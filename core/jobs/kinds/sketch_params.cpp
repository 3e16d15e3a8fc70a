#include "core/jobs/kinds/sketch_params.h"

namespace ranklab::kinds {

void addSketchParams(ParamSchema& schema)
{
    const QString output = QStringLiteral("output");
    schema
        .typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"),
               QStringLiteral("the trained teacher (RankLab, PyTorch state dict or TorchScript)"))
        .req()
        .integer(QStringLiteral("samples"), QStringLiteral("N"), QStringLiteral("training samples streamed through the teacher"), QStringLiteral("4096"), 1,
                 100000000)
        .choice(QStringLiteral("method"), {QStringLiteral("auto"), QStringLiteral("gram"), QStringLiteral("fd"), QStringLiteral("rand")},
                QStringLiteral("auto (Gram for D ≤ 2048, else fd), gram, fd (Frequent Directions) or rand (two-pass range finder)"),
                QStringLiteral("auto"))
        .shownAs(QStringLiteral("M"))
        .integer(QStringLiteral("sketch-size"), QStringLiteral("L"), QStringLiteral("ℓ of fd / k of rand (raised to 2R when the rank is known)"),
                 QStringLiteral("256"), 1, 1 << 16)
        .integer(QStringLiteral("stream-batch"), QStringLiteral("B"), QStringLiteral("batch size while streaming activations"), QStringLiteral("128"), 1,
                 1 << 16)
        .integer(QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0"), 0, 1024)
        .typed(ParamType::Dir, QStringLiteral("out"), QStringLiteral("DIR"), QStringLiteral("output folder"), {}, output)
        .req()
        .flag(QStringLiteral("quiet"), QStringLiteral("no progress on stderr"), output)
        .presentationOnly()
        .flag(QStringLiteral("json"), QStringLiteral("print the result as one JSON line on stdout"), output)
        .presentationOnly();
}

} // namespace ranklab::kinds
