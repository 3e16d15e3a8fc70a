#pragma once
// Public, torch-free interface of the Reduced-Order Network build (paper B): the RON student from a trained
// teacher. The spectrum job it shares its activation streaming with is in spectrum_job.h. Plain structs only
// (ARCHITECTURE.md).

#include <atomic>
#include <vector>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"
#include "core/ron/spectrum_job.h"
#include "core/train/train_params.h"

namespace ranklab::ron {

/// Rank rule of a RON build (ALGORITHMS.md §3 "Rank").
struct RankRule {
    enum class Kind { Vbmf, Factor, Explicit } kind = Kind::Vbmf;
    double weakening = 1.0;     ///< Vbmf: wf of R − wf·(R − R_vbmf), R = min(D, N); 1 = plain EVBMF
    double factor = 10;         ///< Factor: R = round(D / factor) (paper B's "RON 10×")
    int rank = 0;               ///< Explicit: the same R for every modified layer
};
/// "vbmf", "vbmf:0.8", "factor:10" or an integer R ≥ 1; throws ranklab::Error otherwise.
RankRule parseRankRule(const QString& text);
QString rankRuleText(const RankRule& rule);

/// `ranklab-cli ron`: Algorithm 1 of paper B on a contiguous range of layers, then optional fine-tuning.
struct RonParams {
    ModelSpec model;            ///< inChannels/inputSize 0: taken from the data
    DataSpec data;
    QString weights;            ///< trained teacher
    /// The modified layers "K1-K2": registry indices or qualified names (conv/linear layers or blocks).
    /// The range must start at the first layer of a unit (a conv/linear layer with the BatchNorm, ReLU and
    /// max-pool after it, or a whole residual block) and end at the last layer of one.
    QString layers;
    RankRule rank;
    double rowsRatio = 1.5;     ///< P = clamp(round(ratio·R), R, 2R) rows per layer (paper B: P ∈ [R, 2R])
    double rowsTolerance = 0;   ///< > 0: P set by rect_maxvol's tolerance instead (P ∈ [R, 2R])
    int samples = 4096;         ///< N training samples for the spectra
    int batchSize = 128;
    SketchMethod method = SketchMethod::Auto;
    int sketchSize = 256;       ///< ℓ / k floor for fd / rand (raised to 2R for explicit and factor ranks)
    int heldOut = 1000;         ///< test images for the per-layer error report (0: skip it); this default shrinks to a smaller test split, a larger count given is refused
    int latencyRepeats = 20;    ///< forwards per latency measurement (median reported); 0: skip latency
    int latencyThreads = 1;     ///< intra-op threads while timing
    TrainParams finetune;       ///< fine-tuning schedule; finetune.epochs = 0: no fine-tuning
    bool finetuneBatchNorm = false; ///< insert BatchNorm1d after each student layer (identity at insertion)
    double finetuneDropout = 0; ///< dropout before each student layer during fine-tuning (0: none)
    int threads = 0;            ///< intra-op threads for the build (0: all cores)
};
QJsonObject toJson(const RonParams& params);

/// Per modified layer (unit) of a RON report: paper B eqs. (19)–(20) beside the measured errors.
struct RonLayerReport {
    int index = 0;              ///< registry index of the unit's last layer
    QString name;               ///< qualified name ("features.20", "layer3.1", "layer3.1:inner")
    qint64 dim = 0;             ///< D_k
    qint64 rank = 0;            ///< R_k
    qint64 rows = 0;            ///< P_k
    qint64 vbmfRank = 0;        ///< EVBMF's rank (also shown when another rule chose R_k)
    double bound19 = 0;         ///< sqrt(1 + (D − P)R/(P + 1 − R)), eq. (19)
    double normC = 0;           ///< measured ‖V (S V)^+‖₂
    double lowRankError = 0;    ///< held-out ‖z − V Vᵀ z‖ / ‖z‖ (ε_k of §4.4, relative)
    double sampledError = 0;    ///< held-out ‖(S V)^+ S ε‖ / ‖z‖: the e_k that eq. (20) bounds
    double bound20 = 0;         ///< bound19 · lowRankError: eq. (20) on e_k / ‖z‖
    double studentError = 0;    ///< held-out ‖ẑ_k − z_k‖ / ‖z_k‖ of the student's activations (accumulated)
};

/// What a RON build reports (report.json): paper B Tables 1–3 in one object.
struct RonReport {
    QString status;             ///< completed | cancelled (fine-tuning stopped; rerun to resume)
    QString modifiedLayers;     ///< "K1 to K2" in registry indices
    QString firstName, lastName;
    QVector<RonLayerReport> layers;
    double teacherTop1 = 0, studentTop1 = 0, finetunedTop1 = -1; ///< test accuracy in [0,1]; -1: not run
    double teacherTop5 = 0, studentTop5 = 0, finetunedTop5 = -1;
    qint64 teacherFlops = 0, studentFlops = 0;           ///< whole network, one sample
    qint64 teacherRangeFlops = 0, studentRangeFlops = 0; ///< the accelerated part only
    qint64 teacherParams = 0, studentParams = 0;
    double rangeFlopReduction = 0, totalFlopReduction = 0;
    double teacherLatency1Ms = 0, studentLatency1Ms = 0;   ///< median, batch 1
    double teacherLatency64Ms = 0, studentLatency64Ms = 0; ///< median, batch 64
    double speedup1 = 0, speedup64 = 0;
    int latencyThreads = 1;
    qint64 samples = 0;
    double buildSeconds = 0, finetuneSeconds = 0;
    QString studentWeights;     ///< path of the final student (RankLab checkpoint eval loads)
};
QJsonObject toJson(const RonReport& report);
RonReport ronReportFromJson(const QJsonObject& json);
/// The report.json of a RON run folder; Error naming the file for a missing or malformed one.
RonReport readRonReport(const QString& runDir);

/// Runs the build into `outDir`: spectra of the range's activations, ranks, rect_maxvol rows, the student
/// (student_init.rlk + student.json), the error report, accuracy, FLOPs, latency, then fine-tuning in
/// `outDir`/finetune (a resumable run folder) and the final student.rlk; report.json last (atomic).
/// A rerun with the same parameters reuses student_init.rlk and resumes fine-tuning. Progress per batch;
/// `cancel` checked every batch. Throws ranklab::Error with one sentence on bad input (rank > D or ≤ 0,
/// a range that is not contiguous or cuts a residual block, too few samples for the rank, weights that do
/// not fit, NaN activations) before anything is written.
RonReport runRon(const RonParams& params, const QString& outDir, const TrainCallbacks& callbacks = {},
                 const std::atomic_bool* cancel = nullptr);

} // namespace ranklab::ron
