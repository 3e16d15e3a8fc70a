#include <cstdio>

#include "app/cli/commands.h"
#include "app/cli/common_options.h"
#include "core/io/export.h"

namespace ranklab::cli {

int runExport(const QStringList& args)
{
    ArgParser parser(QStringLiteral("export"), QStringLiteral("Write weights as a PyTorch state dict that torch.load and torchvision's load_state_dict(strict=True) accept."));
    addModelOptions(parser, false);
    parser.add({QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("weights to export (any supported format)"), {}})
        .add({QStringLiteral("out"), QStringLiteral("FILE.pth"), QStringLiteral("the PyTorch file to write"), {}});
    parser.parse(args);
    if (parser.helpRequested()) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    const ModelSpec spec = modelSpecFrom(parser, false);
    const QString weights = parser.required(QStringLiteral("weights"));
    const QString out = parser.required(QStringLiteral("out"));
    io::exportWeights(spec, weights, out);
    std::printf("wrote %s\n", qPrintable(out));
    return 0;
}

} // namespace ranklab::cli
