#include "core/jobs/kinds/sweep_common.h"

#include <QDir>
#include <QFileInfo>

#include "core/jobs/kinds/kinds.h"

namespace ranklab::kinds {

void checkSweepResume(const Params& params, const QString& out)
{
    if (QFileInfo::exists(QDir(out).filePath(QStringLiteral("sweep.json"))) && !params.flag(QStringLiteral("resume")))
        throw Error(QStringLiteral("%1 already holds a sweep; add --resume to continue it or choose another --out.").arg(out));
}

void warnProblems(JobContext& context, const search::SweepResult& result)
{
    for (const QString& problem : result.problems)
        context.warn(problem);
    if (!result.pending.isEmpty())
        context.warn(QStringLiteral("%1 entr%2 of %3 have no finished run and are left out: %4")
                         .arg(result.pending.size())
                         .arg(result.pending.size() == 1 ? QStringLiteral("y") : QStringLiteral("ies"), result.dir,
                              result.pending.join(QStringLiteral(", "))));
}

QString sensitivityTable(const search::SweepResult& r)
{
    QString text = format("%5s  %-22s %9s %9s %10s %10s %10s %10s\n", "index", "name", "acc %", "drop pt", "time s", "Δtime s", "params", "Δparams");
    text += format("%5s  %-22s %9.2f %9s %10.2f %10s %10lld %10s\n", "-", "baseline", 100 * r.baseline.accuracy, "-", r.baseline.seconds, "-",
                   static_cast<long long>(r.baseline.params), "-");
    for (const search::LayerSensitivity& s : r.entries)
        text += format("%5d  %-22s %9.2f %9.2f %10.2f %+10.2f %10lld %+10lld%s\n", s.index, qPrintable(s.name), 100 * s.accuracy, 100 * s.accDrop,
                       s.seconds, s.secondsDelta, static_cast<long long>(s.params), static_cast<long long>(s.paramsDelta),
                       s.secondsPredicted ? "  (time predicted)" : "");
    text += format("sensitivity table: %s\n", qPrintable(QDir(r.dir).filePath(QStringLiteral("sensitivity.csv"))));
    return text;
}

} // namespace ranklab::kinds
