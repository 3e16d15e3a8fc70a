#pragma once
// Public header (torch-free): a training-free proxy of the per-layer sensitivity sweep — "beyond the
// paper": paper A §6 names the linear number of trainings of its search as the cost to cut.

#include <atomic>

#include <QJsonObject>
#include <QString>
#include <QStringList>

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
    /// What is done to the changed network before it is scored (issue 13's candidates, measured against each
    /// other by the `proxy-sweep` benchmark):
    ///   "posthoc"  — nothing: the approximation's damage to the trained network, BatchNorm statistics stale;
    ///   "bn"       — BatchNorm recalibration: running statistics re-estimated (cumulative average, torch's
    ///                momentum=None) from `recalBatches` training batches;
    ///   "finetune" — a short fine-tune of the whole network from the trained baseline with the layer changed
    ///                (`finetuneEpochs` of an epoch, SGD at `finetuneLr`), then BatchNorm recalibration;
    ///   "reinit"   — as finetune, but the basis layer starts from random filters and coefficients (the
    ///                sanity check's re-initialisation, paper A §4.1): how much the layer's trained solution
    ///                is needed, rather than how well it is approximated. Basis method only.
    QString proxy = QStringLiteral("bn");
    double finetuneEpochs = 0.25; ///< fraction of an epoch fine-tuned per layer ("finetune", "reinit"), in (0, 10]
    double finetuneLr = 0;        ///< fine-tune learning rate; 0: one tenth of train.lr
    int recalBatches = 20;        ///< training batches that re-estimate BatchNorm statistics ("bn", and after fine-tunes)
};

/// "posthoc", "bn", "finetune", "reinit".
QStringList proxyModes();

/// {"train", "layers", "basis", "eval_images"} (+ "method": {"id", …options} for a method other than basis).
QJsonObject toJson(const ProxySweepParams& params);
ProxySweepParams proxySweepParamsFromJson(const QJsonObject& json);

/// The proxy sweep, written in the layout of runSweep so that loadSweep, the sensitivity files and the
/// Pareto view read it alike (kind "proxy-sweep"):
///   1. trains the baseline into outDir/baseline (resumable, identical to a full sweep's baseline);
///   2. evaluates the trained baseline on the held-out images (outDir/proxy/baseline.json);
///   3. for each layer l, replaces only layer l of a copy of the trained baseline by its basis approximation
///      at the chosen size (insertBasisConvs with QR or SVD init of the trained filters, paper A §3.1; random
///      init for "reinit"), treats it as `proxy` says (nothing, BatchNorm recalibration, a short fine-tune),
///      evaluates it on the same images and writes outDir/proxy/layer-NN.json.
/// The images scored: the validation split when train.data.valSubset > 0 (chosen on validation, like the
/// trained sweep), otherwise evalImages images of the test split (the whole test split for 0).
/// Per layer: accuracy and acc drop on those images (what the sensitivity plot and the Pareto front rank, as
/// for a trained sweep), score = loss increase on them (a second, continuous ranking whose agreement the
/// benchmark reports), reconstruction error ‖W − Coef·B‖_F/‖W‖_F, the exact parameter count of the changed
/// model, and a *predicted* training time: for basis convs, the baseline's seconds plus the entry's
/// interleaved forward+backward timing (plan::timeEntries, proxy/timing.json) over train.epochs epochs'
/// batches — what autograd pays, not paper A's literal backward count; for other methods the cost model's
/// multiply-adds, baseline seconds × (1 + Δc / c_model).
/// Cost: one training plus L × (evaluation [+ fine-tune of finetuneEpochs]) against L+1 trainings for a sweep.
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
