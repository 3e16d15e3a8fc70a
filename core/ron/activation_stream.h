#pragma once
// Internal header (torch types): streaming a teacher's activations into spectrum sketches (paper B §3.2).

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/ron/activation_sketch.h"
#include "core/ron/spectrum_job.h"
#include "core/ron/teacher_chain.h"
#include "core/train/train_params.h"

namespace ranklab::ron {

/// One activation to analyse: a unit's output (after its BatchNorm, ReLU and pooling) or, for a residual
/// block, its inner activation relu(bn1(conv1 x)).
struct CapturePoint {
    int unit = 0;
    bool inner = false;
    std::string name;                 ///< unit name, with ":inner" for a block's inner activation
    int registryIndex = 0;            ///< the unit's last registry index (its conv1 for an inner point)
    std::vector<int64_t> shape;       ///< activation shape without the batch (C, H, W) or (F)
    int64_t dim = 0;                  ///< D = product of shape
};

/// Capture points for `points` (unit, inner) of `chain`, with shapes from one dry forward of a zero input.
std::vector<CapturePoint> makeCapturePoints(const TeacherChain& chain, const std::vector<std::pair<int, bool>>& points);

/// What streaming learned about one capture point.
struct StreamedSpectrum {
    SpectrumResult spectrum;          ///< singular values and as many right singular vectors as the sketch holds
    double frobenius2 = 0;            ///< ‖Z‖_F², exact (summed while streaming)
    QString method;                   ///< gram | fd | rand
};

/// How to sketch: the sketch per point follows `method` (Auto: Gram for D ≤ 2048, else Frequent
/// Directions); ℓ (fd) and k (rand) are max(sketchSize, 2·minRank) clamped to D.
struct StreamOptions {
    SketchMethod method = SketchMethod::Auto;
    int sketchSize = 256;
    int minRank = 1;
    int64_t samples = 4096;
    int batchSize = 128;
};

/// Runs the teacher (eval mode, no grad) over the first `options.samples` images of `split` in a seeded
/// shuffled order (batches of options.batchSize; the same rows in both passes of a two-pass sketch), flattens
/// each sample's activation at every capture point to a row of length D and feeds it to that point's
/// sketch; the N × D matrix is never held. Progress once per batch (phase "activations"); `cancel` checked
/// every batch (throws ranklab::Error "cancelled"). Throws ranklab::Error naming the layer if an activation
/// is NaN or infinite, and if the split has fewer images than asked for.
std::vector<StreamedSpectrum> streamActivations(const TeacherChain& chain, const std::vector<CapturePoint>& points,
                                                const data::TensorDataset& split, const Normalization& norm,
                                                int outChannels, const StreamOptions& options,
                                                const TrainCallbacks& callbacks, const std::atomic_bool* cancel);

/// The sketch StreamOptions picks for dimension D.
std::unique_ptr<ActivationSketch> makeSketch(int64_t D, const StreamOptions& options, QString* methodName = nullptr);

} // namespace ranklab::ron
