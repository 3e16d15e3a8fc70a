#pragma once
// Public header (torch-free): the sanity-check experiment of paper A §4.3 as one resumable job.

#include <atomic>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/train/train_params.h"

namespace ranklab::basis {

/// Paper A §4.3 "Sanity check" (Fig. 6): train a baseline through the whole schedule, extract basis convs
/// from its trained weights (QR or SVD, several sizes), put them into a fresh network initialised from those
/// weights and train it from `startFraction` of the schedule (paper: skip = 0.7) to the end, with the
/// learning rate the schedule gives there. Two controls of Fig. 6 run beside them from the same epoch:
/// "copy" (the trained weights, unchanged architecture: "copy-paste") and "random" (fresh random weights).
///
/// Choices where §4.3 is silent, documented in README's method notes:
/// - the basis convs stay to the end of the schedule (the paper reports the reduced model size of these
///   runs, Fig. 6 right), so each run's parameter count is its basis model's;
/// - every parameter that is not a selected conv (BatchNorm, classifier, other convs) starts from the
///   trained baseline, as in "copy";
/// - the start epoch is round(startFraction · epochs) and must leave at least one epoch to train.
struct SanityCheckParams {
    TrainParams train;                 ///< the whole schedule; train.initWeights / startEpoch are ignored
    QString layers = QStringLiteral("all"); ///< selection as resolveLayerSelection reads it
    QVector<double> sizes{0.1, 0.5};   ///< basis sizes (BasisSpec size rule): fractions or counts
    QVector<BasisInit> inits{BasisInit::Qr}; ///< qr and/or svd (random is what the "random" control shows)
    BasisForm form = BasisForm::Output; ///< full coefficient matrix: the basis holds the whole approximation
    double beta = 0;                   ///< pair form only
    double startFraction = 0.7;        ///< paper A: skip = 0.7
    QString baselineWeights;           ///< trained weights to use instead of training the baseline here
    bool controls = true;              ///< also run "copy" and "random"
};

QJsonObject toJson(const SanityCheckParams& params);

/// The epoch (0-based) the re-initialised runs start from; throws ranklab::Error when the schedule is too
/// short to leave at least one skipped and one trained epoch.
int sanityStartEpoch(const SanityCheckParams& params);

/// One finished run of the experiment.
struct SanityRunResult {
    QString name;            ///< "baseline", "copy", "random", "qr-0.5", …
    QString dir;             ///< its run folder
    QString init;            ///< "trained", "random", "qr", "svd"
    double size = 0;         ///< basis size (0 for baseline and controls)
    int startEpoch = 0;      ///< first epoch trained (0-based)
    qint64 params = 0;       ///< parameters of the trained model
    double finalTestTop1 = 0;
    double trainSeconds = 0;
    double meanReconstructionError = -1; ///< mean over the basis layers of ‖W − Coef·B‖_F/‖W‖_F; -1: none
};

QJsonObject toJson(const SanityRunResult& run);
SanityRunResult sanityRunResultFromJson(const QJsonObject& json);

/// Runs (or, with `resume`, continues) the experiment in `outDir`: sanity.json (the parameters, written
/// first), runs/<name>/ (one run folder each, resumable, finished ones never redone), and when every run
/// completed summary.json ({"status", "start_epoch", "baseline_top1", "runs": [...]}) and sanity.csv (one
/// row per run), written atomically. Returns {"status": "completed" | "cancelled", ...}. Throws
/// ranklab::Error on bad options (before anything is written) and when `outDir` holds another experiment.
QJsonObject runSanityCheck(const SanityCheckParams& params, const QString& outDir, bool resume,
                           const TrainCallbacks& callbacks = {}, const std::atomic_bool* cancel = nullptr);

} // namespace ranklab::basis
