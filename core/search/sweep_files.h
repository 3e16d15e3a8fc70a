#pragma once
// Internal header (torch-free): the names and the identity check of a sweep folder, shared by the sweep,
// the proxy sweep and loadSweep.

#include <QJsonObject>
#include <QString>

#include "core/search/sweep_result.h"

namespace ranklab::search::files {

inline const QString kSweepFile = QStringLiteral("sweep.json");
inline const QString kBaselineDir = QStringLiteral("baseline");
inline const QString kSensitivityCsv = QStringLiteral("sensitivity.csv");
inline const QString kSensitivityJson = QStringLiteral("sensitivity.json");
inline const QString kSummaryFile = QStringLiteral("summary.json");
inline const QString kParamsFile = QStringLiteral("params.json");
/// Interleaved per-layer timing of every entry, dense against basis (written when every run has finished).
inline const QString kTimingFile = QStringLiteral("timing.json");
/// A proxy sweep's interleaved per-layer timing (plan::timeEntries), beside its layer files.
inline const QString kProxyTimingFile = QStringLiteral("proxy/timing.json");

/// "layer-05" for registry index 5 (two digits at least, so folders sort in index order).
QString layerRunDir(int index);
/// "group-NAME".
QString groupRunDir(const QString& name);
/// The run folder of seed `seed` (0-based) of the run whose first seed is in `runDir`: `runDir` itself for
/// seed 0, "RUNDIR-seedS" (S = seed + 1) for the others.
QString seedRunDir(const QString& runDir, int seed);
/// The training parameters (params.json's "params", toJson(TrainParams)) of seed `seed`: train.seed + seed.
/// The data subset's seed is left alone, so every seed trains on the same images.
QJsonObject trainForSeed(QJsonObject train, int seed);
/// "" for seed 0, " seed S" (S = seed + 1) otherwise: appended to a run's label.
QString seedLabel(int seed);

/// {"name", "width", "num_classes", "in_channels", "input_size"} — what makes two sweeps' models the same.
QJsonObject modelIdentity(const ModelSpec& model);

/// Writes sweep.json into `dir`, or — when `dir` already holds one — checks that it describes the same
/// experiment: a different kind, model, basis or any other parameter (ignoring "threads" and "workers",
/// which do not change the figures) throws ranklab::Error with one sentence naming what differs. "seeds" may
/// grow (sweep.json is rewritten with the new count; the runs of the first seeds are kept), never shrink.
/// `sweepJson` is the complete sweep.json object ("kind", "model", "basis", "params", "entries", …).
void writeOrCheckSweepFile(const QString& dir, const QJsonObject& sweepJson);

/// Rewrites sensitivity.csv and sensitivity.json from the folder's current state (loadSweep); does nothing
/// while the baseline has not finished.
void writeSensitivityFiles(const QString& dir);

} // namespace ranklab::search::files
