#pragma once
// Public header (torch-free): a training-free proxy of the per-layer sensitivity sweep — "beyond the
// paper": paper A §6 names the linear number of trainings of its search as the cost to cut.

#include <atomic>

#include <QJsonObject>
#include <QString>

#include "core/basis/basis_spec.h"
#include "core/search/sweep_result.h"
#include "core/train/train_params.h"

namespace ranklab::search {

/// Parameters of a proxy sweep; sweep.json holds them.
struct ProxySweepParams {
    TrainParams train;       ///< the baseline's training, exactly as a full sweep's baseline
    QString layers = QStringLiteral("all"); ///< layers to score (Conv2d only)
    basis::BasisSpec basis;  ///< size/β/form as the full sweep; init must be qr or svd (it approximates trained weights)
    int evalImages = 0;      ///< held-out images scored per layer: a seeded class-stratified subset of the test split
                             ///< (0: the sweep's whole test split)
    /// The layer method swept (core/train/layer_method.h): "basis" (paper A, options from `basis`) or any
    /// other registered one, e.g. "prune" with {"ratio": 0.3} (Li et al. 2016's sensitivity analysis).
    QString method = QStringLiteral("basis");
    QJsonObject methodOptions; ///< the method's options; ignored for "basis"
};

/// {"train", "layers", "basis", "eval_images"} (+ "method": {"id", …options} for a method other than basis).
QJsonObject toJson(const ProxySweepParams& params);
ProxySweepParams proxySweepParamsFromJson(const QJsonObject& json);

/// The proxy sweep, written in the layout of runSweep so that loadSweep, the sensitivity files and the
/// Pareto view read it alike (kind "proxy-sweep"):
///   1. trains the baseline into outDir/baseline (resumable, identical to a full sweep's baseline);
///   2. evaluates the trained baseline on the held-out images (outDir/proxy/baseline.json);
///   3. for each layer l, replaces only layer l of the trained baseline by its basis approximation at the
///      chosen size (insertBasisConvs with QR or SVD init of the trained filters, paper A §3.1), evaluates
///      it on the same images without any training, and writes outDir/proxy/layer-NN.json.
/// Per layer: accuracy and acc drop on those images, score = test-loss increase (what ranks the layers),
/// reconstruction error ‖W − Coef·B‖_F/‖W‖_F, the exact parameter count of the basis model, and a
/// *predicted* training time: baseline seconds × (1 + (c_form − c_conv) / c_model), with c the
/// forward+backward multiply-add counts of the cost model (paper A §3.1: N^0_f+N^0_b for the conv,
/// 2·N'_f for the weight form, N''_f+N''_b, N'''_f+N'''_b) and c_model the sum of N^0_f+N^0_b over every
/// conv plus 2·in·out for every linear layer. BatchNorm keeps the baseline's running statistics.
/// Cost: one training plus L evaluations of evalImages images, against L+1 trainings for a full sweep.
/// Resumable: finished layer files are kept; a folder of another model/size is refused with one sentence.
/// `callbacks`: the baseline's training progress, then one progress report per layer (phase "proxy").
/// Throws ranklab::Error for bad input before anything is written.
SweepResult runProxySweep(const ProxySweepParams& params, const QString& outDir, const TrainCallbacks& callbacks = {},
                          const std::atomic_bool* cancel = nullptr);

/// How two sensitivities of the same layers agree (e.g. a proxy sweep vs a full sweep).
struct SensitivityAgreement {
    int common = 0;        ///< entries (by index) present in both
    double rhoDrop = 0;    ///< Spearman ρ of the acc drops over the common entries (NaN if undefined)
    double rhoScore = 0;   ///< Spearman ρ of a's score vs b's score (proxy: loss increase; sweep: acc drop)
};
SensitivityAgreement compareSensitivities(const SweepResult& a, const SweepResult& b);

} // namespace ranklab::search
