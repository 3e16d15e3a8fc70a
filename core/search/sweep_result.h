#pragma once
// Public header (torch-free): what a sensitivity sweep (paper A §3.2, §4.4, Fig. 9) left on disk.

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/models/model_spec.h"

namespace ranklab::search {

/// The three kinds of sweep folder; all share one layout and one result format.
enum class SweepKind {
    Layers, ///< "sweep": one run per layer with basis convs in that layer only (paper A §4.4, Fig. 9)
    Groups, ///< "groups": one run per named group of layers (paper A §3.2 "light" vs "heavy", Fig. 5)
    Proxy,  ///< "proxy-sweep": a training-free proxy of the per-layer sweep (see proxy_sweep.h)
};
/// "sweep", "groups", "proxy-sweep".
QString sweepKindName(SweepKind kind);
/// Inverse of sweepKindName(); throws ranklab::Error for anything else.
SweepKind parseSweepKind(const QString& text);

/// The baseline run of a sweep: every conv a plain Conv2d, same epochs, seed and data as the other runs.
struct SweepBaseline {
    double accuracy = 0;   ///< final test top-1 in [0, 1]
    double loss = 0;       ///< final test loss (cross-entropy)
    double seconds = 0;    ///< training wall time, seconds (training part of the epochs; evaluation excluded)
    qint64 params = 0;     ///< parameters of the model
    QString runDir;        ///< folder name relative to the sweep folder ("baseline")
};

/// The figures of one sweep entry — one layer (Layers/Proxy) or one group (Groups) — the three panels of
/// paper A Fig. 9. Deltas are "entry − baseline": a negative accDrop means the entry beat the baseline,
/// a negative secondsDelta that it trained faster, a negative paramsDelta that the model is smaller.
struct LayerSensitivity {
    int index = 0;          ///< registry index (1-based) of the layer; for a group its 1-based position in the list
    QString name;           ///< qualified layer name ("layer2.0.conv1") or the group's name ("light")
    QVector<int> layers;    ///< registry indices that carried basis convs (one for a layer sweep)
    double accuracy = 0;    ///< final test top-1 in [0, 1]
    double accDrop = 0;     ///< baseline accuracy − accuracy
    double loss = 0;        ///< final test loss
    double seconds = 0;     ///< training wall time, seconds (proxy: predicted, see secondsPredicted)
    double secondsDelta = 0;///< seconds − baseline seconds
    qint64 params = 0;      ///< parameters while training with basis convs (the basis phase's model)
    qint64 paramsDelta = 0; ///< params − baseline params
    bool secondsPredicted = false; ///< true when `seconds` is a cost-model prediction, not a measurement
    double score = 0;       ///< the value this entry is ranked by: accDrop for trained sweeps; the proxy's score
    double reconstructionError = -1; ///< ‖W − Coef·B‖_F/‖W‖_F of the basis approximation; -1 when unknown
    QString runDir;         ///< run folder (or proxy result file) relative to the sweep folder
};

/// A sweep folder as read back: parameters, baseline, finished entries, and what could not be used.
struct SweepResult {
    QString dir;                   ///< the sweep folder as given
    SweepKind kind = SweepKind::Layers;
    ModelSpec model;               ///< the model as the sweep asked for it (channels/size 0: from the data)
    QString dataset;               ///< data set name
    basis::BasisSpec basis;        ///< basis size, β, form and init of every entry (the basis method)
    /// The layer method swept when it is not basis convolutions: {"id": "prune", "ratio": 0.3}; empty for basis.
    QJsonObject method;
    int epochs = 0;                ///< training epochs of every run
    int skipEpochs = 0;            ///< epochs with basis convs (== epochs: basis convs to the end)
    QJsonObject params;            ///< sweep.json's "params" (SweepParams or ProxySweepParams as JSON)
    SweepBaseline baseline;
    QVector<LayerSensitivity> entries; ///< finished entries in registry (or group) order
    QStringList pending;           ///< planned entries with no finished run yet ("layer 5 (layer2.0.conv1)")
    QStringList problems;          ///< one sentence per entry whose files are corrupt or foreign; left out
    bool complete() const { return pending.isEmpty() && problems.isEmpty(); }
};

/// Reads the sweep in `dir` (sweep.json, the baseline's and every entry's summary). Entries whose run
/// has not finished go to `pending`; entries whose files are unreadable, incomplete or from another
/// model/size go to `problems` with one sentence each and are left out — never counted. Throws
/// ranklab::Error with one sentence when `dir` holds no sweep (missing or corrupt sweep.json) or when the
/// baseline run has not finished or is corrupt (no sensitivity can be computed without it).
SweepResult loadSweep(const QString& dir);

/// The sensitivity table as CSV: header "index,name,layers,accuracy,acc_drop,seconds,seconds_delta,params,
/// params_delta,score,reconstruction_error,run_dir,status", a "baseline" row (index 0) first, then one row
/// per finished entry (status "done"); layers are space-separated indices. A partial sweep ends with one row
/// per entry not yet run (status "pending", name = its label) and per entry left out as unreadable (status
/// "unreadable", name = the sentence saying why), their figures empty.
QByteArray sensitivityCsv(const SweepResult& result);
/// The same as JSON: {"kind", "model", "dataset", "basis", "epochs", "skip_epochs", "baseline": {...},
/// "entries": [{"index", "name", "layers", "accuracy", "acc_drop", "seconds", "seconds_delta", "params",
/// "params_delta", "seconds_predicted", "score", "reconstruction_error", "run_dir"}], "pending", "problems"}.
QJsonObject sensitivityJson(const SweepResult& result);

/// Spearman's rank correlation of two equally long samples (average ranks for ties; Pearson correlation
/// of the ranks). Returns NaN for fewer than two values or when either sample is constant.
double spearmanRho(const QVector<double>& a, const QVector<double>& b);

} // namespace ranklab::search
