#include "core/search/validation.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/basis/skip_training.h"
#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/atomic_file.h"
#include "core/io/folder_lock.h"

namespace ranklab::search {

namespace {
QString layerText(const QVector<int>& layers, QChar sep)
{
    QStringList parts;
    for (int l : layers)
        parts.push_back(QString::number(l));
    return parts.join(sep);
}
} // namespace

QVector<ValidationRow> runValidation(const SweepResult& sweep, const QVector<QVector<int>>& combos, int skipEpochs,
                                     int threads, const QString& outDir, const TrainCallbacks& callbacks,
                                     const std::atomic_bool* cancel)
{
    if (sweep.kind != SweepKind::Layers)
        throw Error(QStringLiteral("validation trains layer combinations of a per-layer sweep; %1 holds a %2.")
                        .arg(sweep.dir, sweepKindName(sweep.kind)));
    if (skipEpochs < 1 || skipEpochs > sweep.epochs)
        throw Error(QStringLiteral("--skip must be from 1 to the sweep's epochs (%1), not %2.").arg(sweep.epochs).arg(skipEpochs));
    basis::BasisTrainParams base;
    base.train = trainParamsFromJson(sweep.params.value(QStringLiteral("train")).toObject());
    base.train.threads = threads;
    base.basis = sweep.basis;
    base.skipEpochs = skipEpochs;
    // Estimates first: a combination the sweep cannot estimate is refused before any training.
    QVector<ValidationRow> planned;
    for (const QVector<int>& combo : combos) {
        if (combo.isEmpty())
            throw Error("a validated combination needs at least one layer.");
        ValidationRow row;
        row.mean = compoundEstimate(sweep, combo, CompoundRule::Mean);
        row.sum = compoundEstimate(sweep, combo, CompoundRule::Sum);
        row.layers = row.mean.layers;
        row.runDir = QStringLiteral("point-%1").arg(planned.size() + 1);
        planned.push_back(row);
    }
    io::ensureWritableDir(outDir);
    const io::FolderLock folderLock(outDir);
    QVector<ValidationRow> rows;
    const QDir root(outDir);
    for (ValidationRow row : planned) {
        if (cancel && cancel->load())
            break;
        basis::BasisTrainParams params = base;
        params.layers = layerText(row.layers, QLatin1Char(','));
        if (callbacks.log)
            callbacks.log(QStringLiteral("validating layers {%1} in %2").arg(params.layers, row.runDir));
        const TrainSummary s = basis::runBasisTraining(params, root.filePath(row.runDir), true, callbacks, cancel);
        if (s.status != QLatin1String("completed"))
            break;
        // The measured drop on the split the estimate came from (validation when the sweep had one); the test
        // split's accuracy beside it, for the report.
        row.accuracy = sweep.onValidation ? s.finalValTop1 : s.finalTestTop1;
        row.testAccuracy = s.finalTestTop1;
        row.accDrop = sweep.baseline.accuracy - row.accuracy;
        row.seconds = s.trainSeconds;
        row.basisParams = qint64(s.extra.value(QStringLiteral("basis_params")).toDouble());
        rows.push_back(row);
        io::writeFileAtomic(root.filePath(QStringLiteral("validation.csv")), validationCsv(rows));
        QJsonArray list;
        for (const ValidationRow& r : rows)
            list.append(toJson(r));
        io::writeJsonAtomic(root.filePath(QStringLiteral("validation.json")),
                            QJsonObject{{QStringLiteral("sweep"), QFileInfo(sweep.dir).absoluteFilePath()},
                                        {QStringLiteral("skip_epochs"), skipEpochs},
                                        {QStringLiteral("split"), sweepSplitName(sweep)},
                                        {QStringLiteral("baseline_accuracy"), sweep.baseline.accuracy},
                                        {QStringLiteral("baseline_seconds"), sweep.baseline.seconds},
                                        {QStringLiteral("points"), list}});
    }
    return rows;
}

QByteArray validationCsv(const QVector<ValidationRow>& rows)
{
    QString csv = QStringLiteral("layers,est_acc_drop_mean,est_acc_drop_sum,acc_drop,accuracy,est_seconds_mean,"
                                 "est_seconds_sum,seconds,est_params_sum,basis_params,run_dir\n");
    for (const ValidationRow& r : rows)
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11\n")
                   .arg(layerText(r.layers, QLatin1Char(' ')))
                   .arg(r.mean.accDrop, 0, 'g', 10)
                   .arg(r.sum.accDrop, 0, 'g', 10)
                   .arg(r.accDrop, 0, 'g', 10)
                   .arg(r.accuracy, 0, 'g', 10)
                   .arg(r.mean.seconds, 0, 'g', 10)
                   .arg(r.sum.seconds, 0, 'g', 10)
                   .arg(r.seconds, 0, 'g', 10)
                   .arg(r.sum.params, 0, 'g', 12)
                   .arg(r.basisParams)
                   .arg(r.runDir);
    return csv.toUtf8();
}

namespace {
const JsonFields<ValidationRow>& rowFields()
{
    static const auto f = JsonFields<ValidationRow>()
                              .numbers("layers", &ValidationRow::layers)
                              .custom("estimate_mean", [](const ValidationRow& r) { return QJsonValue(toJson(r.mean)); },
                                      [](ValidationRow& r, const QJsonValue& v) { r.mean = compoundEstimateFromJson(v.toObject()); })
                              .custom("estimate_sum", [](const ValidationRow& r) { return QJsonValue(toJson(r.sum)); },
                                      [](ValidationRow& r, const QJsonValue& v) { r.sum = compoundEstimateFromJson(v.toObject()); })
                              .add("accuracy", &ValidationRow::accuracy)
                              .add("acc_drop", &ValidationRow::accDrop)
                              .add("seconds", &ValidationRow::seconds)
                              .add("basis_params", &ValidationRow::basisParams)
                              .add("run_dir", &ValidationRow::runDir)
                              .add("test_accuracy", &ValidationRow::testAccuracy);
    return f;
}
} // namespace

QJsonObject toJson(const ValidationRow& r)
{
    return rowFields().write(r);
}

ValidationRow validationRowFromJson(const QJsonObject& json)
{
    return rowFields().read(json);
}

QVector<QVector<int>> spreadAlongFront(const ParetoFront& front, int count)
{
    QVector<QVector<int>> nonEmpty;
    for (const CompoundEstimate& p : front.points)
        if (!p.layers.isEmpty())
            nonEmpty.push_back(p.layers);
    if (count <= 0)
        return {};
    if (nonEmpty.size() <= count)
        return nonEmpty;
    QVector<QVector<int>> chosen;
    for (int k = 0; k < count; ++k) {
        const int i = count == 1 ? 0 : int(std::lround(double(k) * double(nonEmpty.size() - 1) / double(count - 1)));
        chosen.push_back(nonEmpty[i]);
    }
    return chosen;
}

} // namespace ranklab::search
