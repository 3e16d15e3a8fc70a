// `export`: weights written as a PyTorch state dict (torch.load, torchvision's load_state_dict(strict=True)).
#include "core/io/export.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/kinds.h"

namespace ranklab::kinds {

JobKind exportKind()
{
    JobKind k;
    k.id = QStringLiteral("export");
    k.title = QStringLiteral("Export weights");
    k.menu = QStringLiteral("Model");
    k.summary = QStringLiteral("write weights as a PyTorch state dict");
    k.help = QStringLiteral("Write weights as a PyTorch state dict that torch.load and torchvision's load_state_dict(strict=True) accept.");
    addModelParams(k.schema, false);
    k.schema.typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("weights to export (any supported format)"))
        .req()
        .typed(ParamType::SaveFile, QStringLiteral("out"), QStringLiteral("FILE.pth"), QStringLiteral("the PyTorch file to write"))
        .req();
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& ctx) {
        const ModelSpec spec = modelSpecFrom(p, false);
        const QString weights = p.required(QStringLiteral("weights"));
        const QString out = p.required(QStringLiteral("out"));
        for (const QString& note : io::exportWeights(spec, weights, out))
            ctx.log(note);
        JobResult result;
        result.report = QJsonObject{{QStringLiteral("weights"), weights}, {QStringLiteral("out"), out}};
        result.text = format("wrote %s\n", qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
