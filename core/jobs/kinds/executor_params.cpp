#include "core/jobs/kinds/executor_params.h"

#include <chrono>
#include <thread>

#include <QDir>
#include <QHash>
#include <QJsonArray>

#include "core/error.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/sweep_common.h"
#include "core/search/sweep.h"

namespace ranklab::kinds {

void addExecutorParams(ParamSchema& schema)
{
    const QString g = QStringLiteral("cluster");
    schema.choice(QStringLiteral("executor"), {QStringLiteral("local"), QStringLiteral("slurm")},
                  QStringLiteral("where the units run: local (this process's workers) or slurm (one job array, a task per unit)"),
                  QStringLiteral("local"), g);
    schema.text(QStringLiteral("partition"), QStringLiteral("NAME"), QStringLiteral("slurm: partition (default: the cluster's)"), {}, g);
    schema.text(QStringLiteral("account"), QStringLiteral("NAME"), QStringLiteral("slurm: account to charge"), {}, g);
    schema.text(QStringLiteral("qos"), QStringLiteral("NAME"), QStringLiteral("slurm: quality of service"), {}, g);
    schema.text(QStringLiteral("time"), QStringLiteral("LIMIT"), QStringLiteral("slurm: time limit per unit, e.g. 02:00:00 (default: the partition's)"), {}, g);
    schema.integer(QStringLiteral("cpus-per-task"), QStringLiteral("N"), QStringLiteral("slurm: CPUs per unit (its intra-op threads)"),
                   QStringLiteral("1"), 1, 4096, g);
    schema.text(QStringLiteral("mem"), QStringLiteral("SIZE"), QStringLiteral("slurm: memory per unit, e.g. 4G (default: the cluster's)"), {}, g);
    schema.text(QStringLiteral("gres"), QStringLiteral("SPEC"), QStringLiteral("slurm: generic resources per unit, e.g. gpu:1"), {}, g);
    schema.typed(ParamType::Repeated, QStringLiteral("sbatch-line"), QStringLiteral("DIRECTIVE"),
                 QStringLiteral("slurm: one more #SBATCH directive, e.g. --constraint=avx2 (repeat for more)"), {}, g);
    schema.text(QStringLiteral("cli-path"), QStringLiteral("PATH"), QStringLiteral("slurm: ranklab-cli on the nodes (default: this one)"), {}, g);
    schema.integer(QStringLiteral("max-concurrent"), QStringLiteral("K"), QStringLiteral("slurm: units running at once (0: no limit)"),
                   QStringLiteral("0"), 0, 100000, g);
    schema.flag(QStringLiteral("wait"), QStringLiteral("slurm: wait for the units and print progress, then the result (default: return once submitted)"), g);
}

cluster::SlurmOptions slurmOptionsFrom(const Params& p)
{
    cluster::SlurmOptions o;
    o.partition = p.value(QStringLiteral("partition")).trimmed();
    o.account = p.value(QStringLiteral("account")).trimmed();
    o.qos = p.value(QStringLiteral("qos")).trimmed();
    o.time = p.value(QStringLiteral("time")).trimmed();
    o.cpusPerTask = p.intValue(QStringLiteral("cpus-per-task"));
    o.mem = p.value(QStringLiteral("mem")).trimmed();
    o.gres = p.value(QStringLiteral("gres")).trimmed();
    o.extraLines = p.list(QStringLiteral("sbatch-line"));
    o.cli = p.value(QStringLiteral("cli-path")).trimmed();
    o.maxConcurrent = p.intValue(QStringLiteral("max-concurrent"));
    cluster::checkSlurmOptions(o);
    return o;
}

QString unitStatesText(const QVector<cluster::UnitStatus>& states)
{
    QHash<QString, int> counts;
    QString lines;
    for (const cluster::UnitStatus& st : states) {
        const QString name = cluster::unitStateName(st.state);
        ++counts[name];
        if (st.state == cluster::UnitState::Done)
            continue;
        lines += format("  unit %3d  %-11s %-14s %s%s\n", st.unit.id, qPrintable(name), qPrintable(st.task.isEmpty() ? QStringLiteral("-") : st.task),
                        qPrintable(st.unit.label), st.reason.isEmpty() ? "" : qPrintable(QStringLiteral("\n             ") + st.reason));
        if (!st.log.isEmpty() && (st.state == cluster::UnitState::Failed || st.state == cluster::UnitState::Cancelled))
            lines += format("             log: %s\n", qPrintable(st.log));
    }
    QStringList parts;
    for (const QString& name : {QStringLiteral("done"), QStringLiteral("running"), QStringLiteral("pending"), QStringLiteral("failed"),
                                QStringLiteral("cancelled"), QStringLiteral("unsubmitted")})
        if (counts.value(name) > 0)
            parts << QStringLiteral("%1 %2").arg(counts.value(name)).arg(name);
    return format("%d units: %s\n", int(states.size()), qPrintable(parts.join(QStringLiteral(", ")))) + lines;
}

QJsonObject unitStatesJson(const QVector<cluster::UnitStatus>& states)
{
    QJsonArray units;
    QJsonObject counts;
    for (const cluster::UnitStatus& st : states) {
        const QString name = cluster::unitStateName(st.state);
        counts.insert(name, counts.value(name).toInt() + 1);
        units.append(QJsonObject{{QStringLiteral("id"), st.unit.id},
                                 {QStringLiteral("label"), st.unit.label},
                                 {QStringLiteral("run_dir"), st.unit.runDir},
                                 {QStringLiteral("state"), name},
                                 {QStringLiteral("task"), st.task},
                                 {QStringLiteral("slurm_state"), st.slurmState},
                                 {QStringLiteral("log"), st.log},
                                 {QStringLiteral("reason"), st.reason}});
    }
    return QJsonObject{{QStringLiteral("units"), units}, {QStringLiteral("counts"), counts}};
}

JobResult runOnSlurm(const cluster::SlurmOptions& options, bool wait, JobContext& context, const QString& sweepDir, const QString& command)
{
    const cluster::Submission s = cluster::submitUnfinished(options, sweepDir);
    if (!s.jobId.isEmpty())
        context.log(QStringLiteral("%1: submitted %2 unit(s) as Slurm job array %3 (%4)")
                        .arg(command)
                        .arg(s.units.size())
                        .arg(s.jobId, QDir(sweepDir).filePath(s.script)));
    JobResult result;
    if (!wait) {
        const QVector<cluster::UnitStatus> states = cluster::unitStates(sweepDir);
        result.report = unitStatesJson(states);
        result.report.insert(QStringLiteral("job_id"), s.jobId);
        result.text = (s.jobId.isEmpty() ? QStringLiteral("nothing to submit: every unit is done, queued or running\n")
                                         : format("submitted %d unit(s) as Slurm job array %s\n", int(s.units.size()), qPrintable(s.jobId)))
            + unitStatesText(states)
            + format("follow it with: ranklab-cli status %s   (cancel: ranklab-cli cancel %s)\n", qPrintable(sweepDir), qPrintable(sweepDir));
        return result;
    }
    // --wait: poll the folder and the queue; a task that runs but leaves no start marker within a minute means the
    // nodes cannot see the workspace.
    const auto start = std::chrono::steady_clock::now();
    QVector<cluster::UnitStatus> states;
    int lastDone = -1;
    for (;;) {
        states = cluster::unitStates(sweepDir);
        int done = 0, active = 0;
        for (const cluster::UnitStatus& st : states) {
            done += st.state == cluster::UnitState::Done;
            active += st.state == cluster::UnitState::Pending || st.state == cluster::UnitState::Running;
        }
        if (done != lastDone) {
            TrainProgress progress;
            progress.epoch = done;
            progress.epochs = int(states.size());
            progress.fraction = states.isEmpty() ? 1.0 : double(done) / double(states.size());
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            progress.etaSeconds = done > 0 && lastDone >= 0 ? elapsed / done * double(states.size() - done) : -1;
            progress.phase = QStringLiteral("slurm");
            context.progress(progress);
            context.log(QStringLiteral("%1: %2 of %3 units done, %4 queued or running").arg(command).arg(done).arg(states.size()).arg(active));
            lastDone = done;
        }
        if (active == 0)
            break;
        if (context.isCancelled()) {
            const QStringList cancelled = cluster::cancelSweep(sweepDir);
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("cancelled Slurm job(s) %1; finished units are kept, resubmit the rest with ranklab-cli "
                                               "resubmit %2")
                                    .arg(cancelled.join(QStringLiteral(", ")), sweepDir);
            return result;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    QStringList failed;
    for (const cluster::UnitStatus& st : states)
        if (st.state != cluster::UnitState::Done)
            failed << st.reason + (st.log.isEmpty() ? QString() : QStringLiteral(" (log: %1)").arg(st.log));
    if (!failed.isEmpty())
        throw Error(QStringLiteral("%1 of %2 units did not finish: %3 Resubmit them with ranklab-cli resubmit %4.")
                        .arg(failed.size())
                        .arg(states.size())
                        .arg(failed.join(QLatin1Char(' ')), sweepDir));
    const search::SweepResult sweep = search::finishSweep(sweepDir, options.cpusPerTask, context.trainCallbacks());
    warnProblems(context, sweep);
    result.report = search::sensitivityJson(sweep);
    result.text = sensitivityTable(sweep);
    return result;
}

} // namespace ranklab::kinds
