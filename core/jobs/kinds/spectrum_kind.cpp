// `spectrum`: singular values of layer outputs over N training samples, streamed, with each layer's
// EVBMF rank (paper B §5.1, Fig. 1).
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/sketch_params.h"

namespace ranklab::kinds {

JobKind spectrumKind()
{
    JobKind k;
    k.id = QStringLiteral("spectrum");
    k.title = QStringLiteral("Spectra (SVD + EVBMF)");
    k.menu = QStringLiteral("Reduced order");
    k.summary = QStringLiteral("singular values of layer outputs and EVBMF ranks (paper B)");
    k.help = QStringLiteral("Singular values of layer outputs over N training samples (paper B §5.1, Fig. 1), streamed without holding the N × D "
                            "matrix, with each layer's EVBMF rank.");
    addModelParams(k.schema, true);
    addDataParams(k.schema);
    k.schema.typed(ParamType::Layers, QStringLiteral("layers"), QStringLiteral("LIST"),
                   QStringLiteral("indices 4,15, ranges 1-5, names features.10 or blocks layer3.1, or all"), QStringLiteral("all"));
    addSketchParams(k.schema);
    k.completionFiles = {QStringLiteral("spectrum.json")};
    k.runFolderParam = QStringLiteral("out");
    k.layersParam = QStringLiteral("layers");
    k.weightsParam = QStringLiteral("weights");
    k.run = [](const Params& p, JobContext& context) {
        ron::SpectrumParams params;
        streamingParamsFrom(p, params);
        params.data.augment = false;
        params.layers = p.value(QStringLiteral("layers"));
        const QString out = p.required(QStringLiteral("out"));
        const ron::SpectrumReport report = ron::runSpectrum(params, out, context.trainCallbacks(), context.cancelFlag());
        JobResult result;
        result.report = toJson(report);
        for (const ron::LayerSpectrum& l : report.layers) {
            const double top = l.singularValues.empty() || l.singularValues.front() <= 0 ? 1 : l.singularValues.front();
            result.text += format("%3d %-24s D %7lld  EVBMF rank %5lld  σ_2/σ_1 %.3g  σ_10/σ_1 %.3g\n", l.index, qPrintable(l.name),
                                  static_cast<long long>(l.dim), static_cast<long long>(l.vbmfRank),
                                  l.singularValues.size() > 1 ? l.singularValues[1] / top : 0.0,
                                  l.singularValues.size() > 9 ? l.singularValues[9] / top : 0.0);
        }
        result.text += format("spectra of %lld samples in %s (spectrum.json, spectrum.csv)\n", static_cast<long long>(report.samples), qPrintable(out));
        return result;
    };
    return k;
}

} // namespace ranklab::kinds
