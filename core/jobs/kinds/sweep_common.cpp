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
    // With seeds, the drop is the mean paired difference and "±95%" its interval; "~0" marks an entry whose
    // interval holds zero (indistinguishable from the baseline at this budget).
    const bool seeded = r.seeds > 1;
    QString text = format("%5s  %-22s %9s %9s %8s %10s %10s %10s %10s %10s\n", "index", "name", "acc %", "drop pt", "±95% pt", "time s",
                          "Δtime s", "timed Δ s", "params", "Δparams");
    text += format("%5s  %-22s %9.2f %9s %8s %10.2f %10s %10s %10lld %10s\n", "-", "baseline", 100 * r.baseline.accuracy, "-",
                   r.baseline.accuracySd >= 0 ? qPrintable(QStringLiteral("sd %1").arg(100 * r.baseline.accuracySd, 0, 'f', 2)) : "-",
                   r.baseline.seconds, "-", "-", static_cast<long long>(r.baseline.params), "-");
    for (const search::LayerSensitivity& s : r.entries) {
        const QString ci = s.accDropCi >= 0 ? QString::number(100 * s.accDropCi, 'f', 2) : QStringLiteral("-");
        const QString timed = s.timed ? QString::asprintf("%+.2f", s.secondsDeltaTimed) : QStringLiteral("-");
        text += format("%5d  %-22s %9.2f %9.2f %8s %10.2f %+10.2f %10s %10lld %+10lld%s%s\n", s.index, qPrintable(s.name), 100 * s.accuracy,
                       100 * s.accDrop, qPrintable(ci), s.seconds, s.secondsDelta, qPrintable(timed), static_cast<long long>(s.params),
                       static_cast<long long>(s.paramsDelta), seeded && s.accDropCi >= 0 && !s.distinguishable() ? "  ~0" : "",
                       s.secondsPredicted ? "  (time predicted)" : "");
    }
    if (r.timed)
        text += QStringLiteral("timed Δ: the entry's layers timed dense against basis, interleaved, × the basis phase's batches (what "
                               "the time front uses); Δtime: the two runs' wall clocks\n");
    if (seeded)
        text += format("%d seeds per run, paired with the baseline's; ~0: the 95%% interval holds zero\n", r.seeds);
    if (r.kind == search::SweepKind::Proxy) {
        text += format("accuracies, drops and the loss increase (score): %s split; the sensitivity plot and the front rank the accuracy "
                       "drop\n",
                       qPrintable(search::sweepSplitName(r)));
    } else if (r.onValidation) {
        QStringList tests;
        for (const search::LayerSensitivity& s : r.entries)
            tests << QStringLiteral("%1 %2").arg(s.index).arg(100 * s.testAccuracy, 0, 'f', 2);
        text += format("accuracies and drops: validation split (held out of training); test split, for the report: baseline %.2f%%, %s\n",
                       100 * r.baseline.testAccuracy, qPrintable(tests.join(QStringLiteral(", "))));
    } else {
        text += QStringLiteral("accuracies and drops: test split — the split that reports them also chooses; give --val-subset N to "
                               "choose on held-out training images\n");
    }
    text += search::sweepVerdict(r).sentence + QLatin1Char('\n');
    text += format("sensitivity table: %s\n", qPrintable(QDir(r.dir).filePath(QStringLiteral("sensitivity.csv"))));
    return text;
}

} // namespace ranklab::kinds
