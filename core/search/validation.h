#pragma once
// Public header (torch-free): training chosen front points for real (paper A §4.4 "Application",
// Fig. 11) and putting the measured figures next to the estimates.

#include <atomic>

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/search/pareto.h"
#include "core/search/sweep_result.h"
#include "core/train/train_params.h"

namespace ranklab::search {

/// One validated combination: estimates by both rules next to what a real training run measured.
struct ValidationRow {
    QVector<int> layers;                 ///< registry indices trained with basis convs
    CompoundEstimate mean, sum;          ///< the paper's rule and the sum-of-deltas rule
    double accuracy = 0;                 ///< measured final top-1 on the sweep's split (validation or test)
    double testAccuracy = 0;             ///< measured final test top-1 (the report)
    double accDrop = 0;                  ///< sweep baseline accuracy − measured accuracy
    double seconds = 0;                  ///< measured training time (both phases), seconds
    qint64 basisParams = 0;              ///< measured parameters during the basis phase
    QString runDir;                      ///< relative to the validation folder
};

/// Trains each combination of `combos` (registry indices of a trained layer sweep — not groups, not a
/// proxy) with skip training (basis::runBasisTraining: basis convs in those layers for `skipEpochs`
/// epochs, then composed back; paper A §4.2) on the sweep's own schedule, data and seed, into
/// outDir/point-N, and writes outDir/validation.csv and validation.json. `threads`: intra-op threads
/// (0: all cores). Resumable (finished points are kept, an interrupted one resumes). Stops early when
/// `cancel` is set and returns the rows finished so far. Throws ranklab::Error for a sweep that is not a
/// trained layer sweep, a skip outside [1, epochs] or a combination with layers the sweep lacks.
QVector<ValidationRow> runValidation(const SweepResult& sweep, const QVector<QVector<int>>& combos, int skipEpochs,
                                     int threads, const QString& outDir, const TrainCallbacks& callbacks = {},
                                     const std::atomic_bool* cancel = nullptr);

/// Header "layers,est_acc_drop_mean,est_acc_drop_sum,acc_drop,accuracy,est_seconds_mean,est_seconds_sum,seconds,
/// est_params_sum,basis_params,run_dir".
QByteArray validationCsv(const QVector<ValidationRow>& rows);
QJsonObject toJson(const ValidationRow& row);
ValidationRow validationRowFromJson(const QJsonObject& json);

/// `count` points spread evenly along the front (by position), leaving out the empty combination; all
/// non-empty points when there are no more than `count`.
QVector<QVector<int>> spreadAlongFront(const ParetoFront& front, int count);

} // namespace ranklab::search
