#pragma once

#include <QByteArray>
#include <QString>
#include <QVector>

#include "core/train/train_params.h"

namespace ranklab {

/// metrics.csv, one row per finished epoch: epoch,phase,lr,train_loss,train_top1,test_loss,test_top1,
/// test_top5,train_seconds,eval_seconds,images_per_second (accuracies in [0,1], times in seconds).
QByteArray metricsToCsv(const QVector<EpochMetrics>& rows);

/// Reads a metrics.csv written by metricsToCsv; throws ranklab::Error if it is missing or malformed.
QVector<EpochMetrics> readMetricsCsv(const QString& path);

} // namespace ranklab
