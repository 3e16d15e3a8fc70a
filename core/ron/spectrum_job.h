#pragma once
// Public, torch-free interface of the spectrum job (paper B §3.2): singular values of chosen layers'
// activations over N training samples, and EVBMF's rank of each. The RON build (ron_job.h) streams its
// activations the same way.

#include <atomic>
#include <vector>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"
#include "core/train/train_params.h"

namespace ranklab::ron {

/// How activation rows are summarised (paper B §3.2, ALGORITHMS.md §3).
/// auto: exact Gram for D ≤ 2048, Frequent Directions above; gram: exact Gram in double (D² memory);
/// fd: Frequent Directions with ℓ = sketchSize (ℓ ≥ 2R is enforced); rand: two-pass randomized range finder
/// with k = sketchSize columns (streams the samples twice).
enum class SketchMethod { Auto, Gram, FrequentDirections, Randomized };
QString sketchMethodName(SketchMethod method);
/// "auto" | "gram" | "fd" | "rand"; throws ranklab::Error naming the accepted values otherwise.
SketchMethod parseSketchMethod(const QString& name);

/// `ranklab-cli spectrum`: singular values of chosen layers' outputs over N training samples.
struct SpectrumParams {
    ModelSpec model;            ///< inChannels/inputSize 0: taken from the data
    DataSpec data;
    QString weights;            ///< trained teacher (any format io::readStateDict reads)
    /// Layers whose outputs are analysed: registry indices ("4,15", "1-5"), qualified names of conv/linear
    /// layers ("features.10") or residual blocks ("layer3.1"), or "all". A conv/linear layer's output is
    /// taken after the BatchNorm, activation and 2×2 max-pool that follow it (what RON samples); a block's
    /// after its final ReLU; a block's conv1 gives the block's inner activation relu(bn1(conv1 x)) and its
    /// conv2 / downsample the block output.
    QString layers = QStringLiteral("all");
    int samples = 4096;         ///< N training samples streamed (the first N of the training split)
    int batchSize = 128;
    SketchMethod method = SketchMethod::Auto;
    int sketchSize = 256;       ///< ℓ for fd, k for rand (clamped to D)
    int threads = 0;            ///< intra-op threads (0: all cores)
};
QJsonObject toJson(const SpectrumParams& params);

/// One analysed layer (spectrum.json / the `spectrum --json` line).
struct LayerSpectrum {
    int index = 0;              ///< registry index (the last one of a block)
    QString name;               ///< qualified name of the layer or block
    qint64 dim = 0;             ///< D = C·H·W of the analysed activation
    QString method;             ///< sketch actually used
    std::vector<double> singularValues; ///< descending (as many as the sketch holds)
    qint64 vbmfRank = 0;        ///< EVBMF rank of the N × D activation matrix (Nakajima et al. 2013)
    double vbmfSigma2 = 0;      ///< EVBMF noise variance
};
struct SpectrumReport {
    qint64 samples = 0;
    QVector<LayerSpectrum> layers;
    double seconds = 0;
};
QJsonObject toJson(const LayerSpectrum& layer);
QJsonObject toJson(const SpectrumReport& report);
SpectrumReport spectrumReportFromJson(const QJsonObject& json);
/// The spectrum.json of a spectrum run folder; Error naming the file for a missing, malformed or empty one.
SpectrumReport readSpectrumReport(const QString& runDir);

/// Streams params.samples training images through the teacher and writes `outDir`/spectrum.json and
/// spectrum.csv (layer_index,name,i,sigma,sigma_normalized; atomic writes, the JSON last). Progress once per
/// batch; `cancel` checked every batch (a cancelled run writes nothing and throws ranklab::Error).
/// Throws ranklab::Error with one sentence on bad input (unknown layer, weights that do not fit the model,
/// NaN activations, too few samples) before anything is written.
SpectrumReport runSpectrum(const SpectrumParams& params, const QString& outDir, const TrainCallbacks& callbacks = {},
                           const std::atomic_bool* cancel = nullptr);

} // namespace ranklab::ron
