#include "core/ron/spectrum_job.h"

#include <algorithm>
#include <chrono>

#include <QDir>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/folder_lock.h"
#include "core/json_fields.h"
#include "core/ron/teacher.h"
#include "core/train/evaluate_internal.h"

namespace ranklab::ron {

QString sketchMethodName(SketchMethod method)
{
    switch (method) {
    case SketchMethod::Auto: return QStringLiteral("auto");
    case SketchMethod::Gram: return QStringLiteral("gram");
    case SketchMethod::FrequentDirections: return QStringLiteral("fd");
    case SketchMethod::Randomized: return QStringLiteral("rand");
    }
    return {};
}

SketchMethod parseSketchMethod(const QString& name)
{
    for (SketchMethod m : {SketchMethod::Auto, SketchMethod::Gram, SketchMethod::FrequentDirections, SketchMethod::Randomized})
        if (sketchMethodName(m) == name)
            return m;
    throw Error(QStringLiteral("unknown sketch method '%1'; use auto, gram, fd or rand.").arg(name));
}

QJsonObject toJson(const SpectrumParams& p)
{
    return QJsonObject{{QStringLiteral("model"), toJson(p.model)},  {QStringLiteral("data"), toJson(p.data)},
                       {QStringLiteral("weights"), p.weights},        {QStringLiteral("layers"), p.layers},
                       {QStringLiteral("samples"), p.samples},        {QStringLiteral("batch_size"), p.batchSize},
                       {QStringLiteral("method"), sketchMethodName(p.method)},
                       {QStringLiteral("sketch_size"), p.sketchSize}};
}

namespace {
const JsonFields<LayerSpectrum>& spectrumLayerFields()
{
    static const auto f = JsonFields<LayerSpectrum>()
                              .add("index", &LayerSpectrum::index)
                              .add("name", &LayerSpectrum::name)
                              .add("dim", &LayerSpectrum::dim)
                              .add("method", &LayerSpectrum::method)
                              .numbers("singular_values", &LayerSpectrum::singularValues)
                              .add("vbmf_rank", &LayerSpectrum::vbmfRank)
                              .add("vbmf_sigma2", &LayerSpectrum::vbmfSigma2);
    return f;
}
const JsonFields<SpectrumReport>& spectrumFields()
{
    static const auto f = JsonFields<SpectrumReport>()
                              .add("samples", &SpectrumReport::samples)
                              .add("seconds", &SpectrumReport::seconds)
                              .objects("layers", &SpectrumReport::layers, spectrumLayerFields());
    return f;
}
} // namespace

QJsonObject toJson(const LayerSpectrum& l)
{
    return spectrumLayerFields().write(l);
}

QJsonObject toJson(const SpectrumReport& r)
{
    return spectrumFields().write(r);
}

SpectrumReport spectrumReportFromJson(const QJsonObject& json)
{
    return spectrumFields().read(json);
}

SpectrumReport readSpectrumReport(const QString& runDir)
{
    const QString path = QDir(runDir).filePath(QStringLiteral("spectrum.json"));
    const SpectrumReport r = spectrumFields().read(io::readJsonObject(path));
    if (r.layers.isEmpty())
        throw Error(QStringLiteral("%1 lists no layer.").arg(path));
    return r;
}

SpectrumReport runSpectrum(const SpectrumParams& params, const QString& outDir, const TrainCallbacks& callbacks,
                           const std::atomic_bool* cancel)
{
    const auto start = std::chrono::steady_clock::now();
    if (params.samples < 1 || params.batchSize < 1 || params.sketchSize < 1)
        throw Error("samples, batch size and sketch size must be at least 1.");
    if (outDir.isEmpty())
        throw Error("the spectrum needs an output folder.");
    train::applyThreadCount(params.threads);
    Teacher t = loadTeacher(params.model, params.data, params.weights, callbacks);
    const auto points = makeCapturePoints(*t.chain, t.chain->resolveCapturePoints(params.layers));
    io::ensureWritableDir(outDir);
    const io::FolderLock folderLock(outDir);
    StreamOptions options;
    options.method = params.method;
    options.sketchSize = params.sketchSize;
    options.samples = params.samples;
    options.batchSize = params.batchSize;
    const auto streamed = streamActivations(*t.chain, points, t.data.train, t.data.norm, t.data.outChannels, options,
                                            callbacks, cancel);
    SpectrumReport report;
    report.samples = params.samples;
    QByteArray csv = "layer_index,name,i,sigma,sigma_normalized\n";
    for (size_t i = 0; i < points.size(); ++i) {
        LayerSpectrum l;
        l.index = points[i].registryIndex;
        l.name = QString::fromStdString(points[i].name);
        l.dim = points[i].dim;
        l.method = streamed[i].method;
        const Eigen::VectorXd& s = streamed[i].spectrum.singularValues;
        const Eigen::Index count = std::min<Eigen::Index>(s.size(), std::min<int64_t>(params.samples, l.dim));
        l.singularValues.assign(s.data(), s.data() + count);
        const EvbmfResult vb = vbmfOf(streamed[i], params.samples, l.dim);
        l.vbmfRank = vb.rank;
        l.vbmfSigma2 = vb.sigma2;
        const double top = count > 0 && s(0) > 0 ? s(0) : 1;
        for (Eigen::Index j = 0; j < count; ++j)
            csv += QByteArray::number(l.index) + ',' + l.name.toUtf8() + ',' + QByteArray::number(qlonglong(j + 1)) + ','
                + QByteArray::number(s(j), 'g', 10) + ',' + QByteArray::number(s(j) / top, 'g', 10) + '\n';
        report.layers.push_back(l);
    }
    report.seconds = secondsSince(start);
    const QDir dir(outDir);
    io::writeFileAtomic(dir.filePath(QStringLiteral("spectrum.csv")), csv);
    QJsonObject json = toJson(report);
    json.insert(QStringLiteral("params"), toJson(params));
    io::writeJsonAtomic(dir.filePath(QStringLiteral("spectrum.json")), json);
    return report;
}

} // namespace ranklab::ron
