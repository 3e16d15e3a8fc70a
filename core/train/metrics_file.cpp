#include "core/train/metrics_file.h"

#include <QFile>
#include <QStringList>

#include "core/error.h"

namespace ranklab {

namespace {
const char* const kHeader = "epoch,phase,lr,train_loss,train_top1,test_loss,test_top1,test_top5,train_seconds,"
                            "eval_seconds,images_per_second";
}

QByteArray metricsToCsv(const QVector<EpochMetrics>& rows)
{
    QByteArray csv(kHeader);
    csv += '\n';
    auto num = [](double v) { return QByteArray::number(v, 'g', 17); }; // round-trips exactly
    for (const EpochMetrics& m : rows) {
        csv += QByteArray::number(m.epoch) + ',' + m.phase.toUtf8() + ',' + num(m.lr) + ',' + num(m.trainLoss) + ','
            + num(m.trainTop1) + ',' + num(m.testLoss) + ',' + num(m.testTop1) + ',' + num(m.testTop5) + ','
            + num(m.trainSeconds) + ',' + num(m.evalSeconds) + ',' + num(m.imagesPerSecond) + '\n';
    }
    return csv;
}

QVector<EpochMetrics> readMetricsCsv(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read %1: %2.").arg(path, file.errorString()));
    const QList<QByteArray> lines = file.readAll().split('\n');
    if (lines.isEmpty() || lines.first().trimmed() != kHeader)
        throw Error(QStringLiteral("%1 is not a RankLab metrics file (unexpected header).").arg(path));
    QVector<EpochMetrics> rows;
    for (int i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        const QList<QByteArray> f = line.split(',');
        if (f.size() != 11)
            throw Error(QStringLiteral("%1 line %2 has %3 fields instead of 11.").arg(path).arg(i + 1).arg(f.size()));
        bool ok = true;
        auto d = [&ok](const QByteArray& s) {
            bool fieldOk = false;
            const double v = s.toDouble(&fieldOk);
            ok = ok && fieldOk;
            return v;
        };
        EpochMetrics m;
        m.epoch = f[0].toInt(&ok);
        m.phase = QString::fromUtf8(f[1]);
        m.lr = d(f[2]);
        m.trainLoss = d(f[3]);
        m.trainTop1 = d(f[4]);
        m.testLoss = d(f[5]);
        m.testTop1 = d(f[6]);
        m.testTop5 = d(f[7]);
        m.trainSeconds = d(f[8]);
        m.evalSeconds = d(f[9]);
        m.imagesPerSecond = d(f[10]);
        if (!ok)
            throw Error(QStringLiteral("%1 line %2 has a field that is not a number.").arg(path).arg(i + 1));
        rows.push_back(m);
    }
    return rows;
}

} // namespace ranklab
