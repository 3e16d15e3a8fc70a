// `export`: weights written as a PyTorch state dict (torch.load, torchvision's load_state_dict(strict=True)) or as a
// TorchScript module (torch.jit.load) that runs the model — zoo, pruned, basis-conv and RON student alike.
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
    k.summary = QStringLiteral("write weights as a PyTorch state dict or a TorchScript module");
    k.help = QStringLiteral("Write weights as a PyTorch state dict that torch.load and torchvision's load_state_dict(strict=True) "
                            "accept, or (--format torchscript) as a TorchScript module that torch.jit.load runs as it is: "
                            "any model RankLab holds — zoo, pruned, with basis convolutions, a RON student — with "
                            "RankLab's parameter names.");
    addModelParams(k.schema, false);
    k.schema.typed(ParamType::File, QStringLiteral("weights"), QStringLiteral("FILE"), QStringLiteral("weights to export (any supported format)"))
        .req()
        .typed(ParamType::SaveFile, QStringLiteral("out"), QStringLiteral("FILE.pth"), QStringLiteral("the PyTorch file to write"))
        .req()
        .choice(QStringLiteral("format"), {io::exportFormatName(io::ExportFormat::StateDict), io::exportFormatName(io::ExportFormat::TorchScript)},
                QStringLiteral("state_dict (torch.load) or torchscript (torch.jit.load)"), io::exportFormatName(io::ExportFormat::StateDict));
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& ctx) {
        const ModelSpec spec = modelSpecFrom(p, false);
        const QString weights = p.required(QStringLiteral("weights"));
        const QString out = p.required(QStringLiteral("out"));
        const io::ExportFormat exportFormat = io::parseExportFormat(p.choice(QStringLiteral("format")));
        for (const QString& note : io::exportWeights(spec, weights, out, exportFormat))
            ctx.log(note);
        JobResult result;
        result.report = QJsonObject{{QStringLiteral("weights"), weights}, {QStringLiteral("out"), out},
                                   {QStringLiteral("format"), io::exportFormatName(exportFormat)}};
        result.text = format("wrote %s\n", qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
