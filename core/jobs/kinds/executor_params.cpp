#include "core/jobs/kinds/executor_params.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/kinds/kinds.h"
#include "core/jobs/kinds/sweep_common.h"
#include "core/jobs/kinds/typed_options.h"
#include "core/search/sweep.h"
#include "core/search/sweep_plan.h"

namespace ranklab::kinds {

void addExecutorParams(ParamSchema& schema)
{
    const QString g = QStringLiteral("cluster");
    schema.choice(QStringLiteral("executor"), {QStringLiteral("local"), QStringLiteral("processes"), QStringLiteral("slurm")},
                  QStringLiteral("where the units run: local (this process's workers), processes (a child process per unit, --workers at "
                                 "once: a crash ends only its unit) or slurm (one job array, a task per unit)"),
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
    // intValue checks the declared ranges (one sentence for --cpus-per-task 0); the rest is checkSlurmOptions'.
    p.intValue(QStringLiteral("cpus-per-task"));
    p.intValue(QStringLiteral("max-concurrent"));
    const cluster::SlurmOptions o = slurmOptionsOf(p);
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

namespace {
/// How many units are queued or running.
int activeUnits(const QVector<cluster::UnitStatus>& states)
{
    return int(std::count_if(states.cbegin(), states.cend(), [](const cluster::UnitStatus& st) {
        return st.state == cluster::UnitState::Pending || st.state == cluster::UnitState::Running;
    }));
}

/// Reports a sweep's units while an executor runs them: their states (JobContext::units) whenever one changes,
/// and progress (finished units / all, ETA from the finished ones) plus a log line whenever another one finishes.
class UnitProgress {
public:
    UnitProgress(JobContext& context, QString command, QString where)
        : context_(context), command_(std::move(command)), where_(std::move(where)), start_(std::chrono::steady_clock::now())
    {
    }
    void update(const QVector<cluster::UnitStatus>& states)
    {
        if (const QJsonObject report = unitStatesJson(states); report != lastReport_) {
            context_.units(report);
            lastReport_ = report;
        }
        const int done = int(std::count_if(states.cbegin(), states.cend(),
                                           [](const cluster::UnitStatus& st) { return st.state == cluster::UnitState::Done; }));
        if (done == lastDone_)
            return;
        TrainProgress progress;
        progress.epoch = done;
        progress.epochs = int(states.size());
        progress.fraction = states.isEmpty() ? 1.0 : double(done) / double(states.size());
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        progress.etaSeconds = done > 0 && lastDone_ >= 0 ? elapsed / done * double(states.size() - done) : -1;
        progress.phase = QStringLiteral("%1/%2 units %3").arg(done).arg(states.size()).arg(where_);
        context_.progress(progress);
        context_.log(QStringLiteral("%1: %2 of %3 units done, %4 queued or running").arg(command_).arg(done).arg(states.size()).arg(activeUnits(states)));
        lastDone_ = done;
    }

private:
    JobContext& context_;
    QString command_, where_;
    std::chrono::steady_clock::time_point start_;
    QJsonObject lastReport_;
    int lastDone_ = -1;
};

/// Throws Error listing the units that did not finish (why, and their logs), with how to continue.
void refuseUnfinished(const QVector<cluster::UnitStatus>& states, const QString& howToContinue)
{
    QStringList failed;
    for (const cluster::UnitStatus& st : states)
        if (st.state != cluster::UnitState::Done)
            failed << QStringLiteral("unit %1 (%2): %3").arg(st.unit.id).arg(st.unit.label, st.reason.isEmpty() ? cluster::unitStateName(st.state) : st.reason)
                    + (st.log.isEmpty() ? QString() : QStringLiteral(" (log: %1)").arg(st.log));
    if (!failed.isEmpty())
        throw Error(QStringLiteral("%1 of %2 units did not finish: %3 %4")
                        .arg(failed.size())
                        .arg(states.size())
                        .arg(failed.join(QStringLiteral("; ")), howToContinue));
}

/// Every unit done: a sweep's timing and sensitivity files and its table, or a whole job's result as the unit that
/// ran it stored it.
JobResult finishedUnits(JobContext& context, const QString& sweepDir, int threads)
{
    if (!QFileInfo::exists(QDir(sweepDir).filePath(QStringLiteral("sweep.json")))) {
        const QString path = QDir(sweepDir).filePath(kJobResultFile);
        JobResult result;
        if (QFileInfo::exists(path)) {
            const QJsonObject stored = io::readJsonObject(path);
            result.report = stored.value(QStringLiteral("report")).toObject();
            result.text = stored.value(QStringLiteral("text")).toString();
        } else {
            result.text = QStringLiteral("finished in %1\n").arg(sweepDir);
        }
        return result;
    }
    const search::SweepResult sweep = search::finishSweep(sweepDir, threads, context.trainCallbacks());
    warnProblems(context, sweep);
    JobResult result;
    result.report = search::sensitivityJson(sweep);
    result.text = sensitivityTable(sweep);
    return result;
}
} // namespace

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
    UnitProgress report(context, command, QStringLiteral("on Slurm"));
    QVector<cluster::UnitStatus> states;
    for (;;) {
        states = cluster::unitStates(sweepDir);
        report.update(states);
        if (activeUnits(states) == 0)
            break;
        if (context.isDetached()) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("stopped watching; the units keep running on the cluster: follow them with "
                                               "ranklab-cli status %1").arg(sweepDir);
            return result;
        }
        if (context.isCancelled()) {
            const QStringList cancelled = cluster::cancelSweep(sweepDir);
            // scancel only asks: running tasks stop at their next batch (SIGTERM, then Slurm's KillWait). The job
            // ends once none is queued or running, so what the panel shows is what the cluster does.
            const auto asked = std::chrono::steady_clock::now();
            while (std::chrono::steady_clock::now() - asked < std::chrono::minutes(2)) {
                states = cluster::unitStates(sweepDir);
                report.update(states);
                if (activeUnits(states) == 0)
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            }
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("cancelled Slurm job(s) %1; finished units are kept, resubmit the rest with ranklab-cli "
                                               "resubmit %2")
                                    .arg(cancelled.join(QStringLiteral(", ")), sweepDir);
            return result;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    refuseUnfinished(states, QStringLiteral("Resubmit them with ranklab-cli resubmit %1.").arg(sweepDir));
    return finishedUnits(context, sweepDir, options.cpusPerTask);
}

JobResult runInProcesses(const cluster::ProcessRunOptions& options, JobContext& context, const QString& sweepDir, const QString& command)
{
    UnitProgress report(context, command, QStringLiteral("in processes"));
    const QVector<cluster::UnitStatus> states = cluster::runUnitsInProcesses(
        sweepDir, options, [&report](const QVector<cluster::UnitStatus>& s) { report.update(s); }, context.cancelFlag());
    if (context.isCancelled()) {
        JobResult result;
        result.outcome = JobOutcome::Cancelled;
        result.resumeHint = QStringLiteral("%1 cancelled; what finished is kept, continue with the same options and --resume --out %2").arg(command, sweepDir);
        return result;
    }
    refuseUnfinished(states, QStringLiteral("The other units are kept; run the same command with --resume to retry them."));
    return finishedUnits(context, sweepDir, options.threads * options.workers);
}

JobKind runsAnywhere(JobKind kind)
{
    addExecutorParams(kind.schema);
    kind.help += QStringLiteral(" --executor processes runs the job in a child process of its own (a crash there cannot end the caller); "
                                "--executor slurm runs it as one Slurm task (see ranklab-cli status/cancel/resubmit).");
    const auto local = kind.run;
    const QString id = kind.id, folder = kind.runFolderParam;
    const bool hasThreads = kind.schema.find(QStringLiteral("threads")) != nullptr;
    kind.run = [local, id, folder, hasThreads](const Params& p, JobContext& context) -> JobResult {
        const QString executor = p.choice(QStringLiteral("executor"));
        if (executor == QLatin1String("local"))
            return local(p, context);
        // job.json is in the folder already (runJob wrote it): the unit re-reads it there, with --executor local.
        const QString dir = QDir(p.required(folder)).absolutePath();
        if (executor == QLatin1String("processes")) {
            cluster::ProcessRunOptions options;
            options.threads = search::plan::threadShare(hasThreads ? p.value(QStringLiteral("threads")).toInt() : 0, 1);
            return runInProcesses(options, context, dir, id);
        }
        return runOnSlurm(slurmOptionsFrom(p), p.flag(QStringLiteral("wait")), context, dir, id);
    };
    return kind;
}

} // namespace ranklab::kinds
