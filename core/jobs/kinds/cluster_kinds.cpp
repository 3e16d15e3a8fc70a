// The cluster kinds: `sweep-unit` (one unit of a sweep, what a Slurm task runs), `status`, `cancel` and
// `resubmit` of a sweep whose units were sent to Slurm (sweep/groups --executor slurm).
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include "core/cluster/slurm.h"
#include "core/cluster/units.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/executor_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/search/sweep.h"

namespace ranklab::kinds {

namespace {
const QString kMenu = QStringLiteral("Cluster");

void addSweepDir(ParamSchema& schema, const QString& help)
{
    schema.typed(ParamType::Dir, QStringLiteral("sweep"), QStringLiteral("DIR"), help).req();
}

bool isSweep(const QString& dir)
{
    return QFileInfo::exists(QDir(dir).filePath(QStringLiteral("sweep.json")));
}

/// The folder given with --sweep, which must hold a sweep (sweep.json) or a job sent to an executor (job.json).
QString sweepDir(const Params& p)
{
    const QString dir = QDir(p.required(QStringLiteral("sweep"))).absolutePath();
    if (!isSweep(dir) && !QFileInfo::exists(jobFilePath(dir)))
        throw OptionError(QStringLiteral("%1 holds no sweep (no sweep.json) and no job (no job.json).").arg(dir));
    return dir;
}

/// The whole job of a run folder as the one unit an executor ran: its job.json, run in place (resumed where the
/// kind can) with --executor local, its result stored for whoever waits (kJobResultFile).
JobResult runWholeJob(const QString& dir, int threads, JobContext& context)
{
    Params job = readJob(dir, QString());
    const JobKind* kind = JobKinds::find(job.command());
    job.set(QStringLiteral("executor"), QStringLiteral("local"));
    if (threads > 0 && kind->schema.find(QStringLiteral("threads")))
        job.set(QStringLiteral("threads"), QString::number(threads));
    job.validate();
    // kind->run, not runJob: job.json keeps saying how the user sent the job (--executor slurm, its options).
    JobResult result = kind->run(job, context);
    if (result.outcome == JobOutcome::Completed)
        io::writeJsonAtomic(QDir(dir).filePath(kJobResultFile),
                            QJsonObject{{QStringLiteral("command"), kind->id}, {QStringLiteral("text"), result.text}, {QStringLiteral("report"), result.report}});
    return result;
}
} // namespace

void registerJobUnit()
{
    cluster::registerJobUnit([](const QString& dir) {
        const Params job = readJob(dir, QString());
        search::SweepUnit unit;
        unit.label = QStringLiteral("%1 (the whole job)").arg(job.command());
        unit.runDir = QStringLiteral(".");
        unit.done = QFileInfo::exists(QDir(dir).filePath(kJobResultFile));
        return unit;
    });
}

JobKind sweepUnitKind()
{
    JobKind k;
    k.id = QStringLiteral("sweep-unit");
    k.title = QStringLiteral("Run one unit of a sweep");
    k.menu = kMenu;
    k.summary = QStringLiteral("train one unit (one seed of the baseline or of one entry) of a sweep folder; what a Slurm task runs");
    k.help = QStringLiteral("Trains one unit of the sweep in --sweep DIR — one seed of its baseline or of one of its entries — from the parameters "
                            "in DIR/sweep.json, into the unit's run folder (resumed if it was interrupted). Each task of a Slurm job array "
                            "runs this; `ranklab-cli status DIR` lists the units and their numbers. A run folder of any other job sent "
                            "to an executor (--executor processes|slurm) is one unit, 0: its job.json run there with --executor local.");
    addSweepDir(k.schema, QStringLiteral("the sweep folder (it holds sweep.json), or a job's run folder (job.json)"));
    k.schema.integer(QStringLiteral("unit"), QStringLiteral("N"), QStringLiteral("the unit's number (0-based, as status lists them)"), {}, 0, 10000000).req();
    k.schema.integer(QStringLiteral("threads"), QStringLiteral("N"), QStringLiteral("intra-op threads (0: the sweep's own setting)"), QStringLiteral("0"), 0,
                     4096);
    addOutputParams(k.schema);
    k.run = [](const Params& p, JobContext& context) {
        const QString dir = sweepDir(p);
        if (!isSweep(dir))
            return runWholeJob(dir, p.intValue(QStringLiteral("threads")), context);
        const TrainSummary summary =
            search::runSweepUnit(dir, p.intValue(QStringLiteral("unit")), p.intValue(QStringLiteral("threads")), context.trainCallbacks(),
                                 context.cancelFlag());
        JobResult result;
        if (summary.status != QLatin1String("completed")) {
            result.outcome = JobOutcome::Cancelled;
            result.resumeHint = QStringLiteral("the unit stopped; run the same command again to continue it");
            return result;
        }
        result.report = toJson(summary);
        result.text = format("unit %d of %s: test top-1 %.2f%%, %.1f s of training\n", p.intValue(QStringLiteral("unit")), qPrintable(dir),
                             100 * summary.finalTestTop1, summary.trainSeconds);
        return result;
    };
    return k;
}

JobKind statusKind()
{
    JobKind k;
    k.id = QStringLiteral("status");
    k.title = QStringLiteral("Sweep status");
    k.menu = kMenu;
    k.summary = QStringLiteral("units of a sweep: done, running, pending, failed (from the folder and the Slurm queue)");
    k.help = QStringLiteral("Lists the units of the sweep in --sweep DIR with their states — done (its summary.json exists), running, pending, "
                            "failed (with why and its log) or cancelled — from the folder and `squeue --json`. When every unit is done it "
                            "finishes the sweep (the per-layer timing and the sensitivity files) and prints its table.");
    addSweepDir(k.schema, QStringLiteral("the sweep folder"));
    addOutputParams(k.schema, false);
    k.run = [](const Params& p, JobContext& context) {
        const QString dir = sweepDir(p);
        const QVector<cluster::UnitStatus> states = cluster::unitStates(dir);
        JobResult result;
        result.report = unitStatesJson(states);
        result.text = unitStatesText(states);
        bool allDone = true;
        for (const cluster::UnitStatus& st : states)
            allDone = allDone && st.state == cluster::UnitState::Done;
        if (allDone && isSweep(dir)) {
            const search::SweepResult sweep = search::finishSweep(dir, 0, context.trainCallbacks());
            result.report.insert(QStringLiteral("sweep"), search::sensitivityJson(sweep));
            result.text += QStringLiteral("every unit is done: %1\n").arg(QDir(dir).filePath(QStringLiteral("sensitivity.json")));
        }
        return result;
    };
    return k;
}

JobKind cancelKind()
{
    JobKind k;
    k.id = QStringLiteral("cancel");
    k.title = QStringLiteral("Cancel a sweep on the cluster");
    k.menu = kMenu;
    k.summary = QStringLiteral("scancel the Slurm job arrays of a sweep that still have units queued or running");
    k.help = QStringLiteral("Cancels (scancel) every Slurm job array of the sweep in --sweep DIR that still has units queued or running. Finished "
                            "units stay; `ranklab-cli resubmit DIR` sends the rest again.");
    addSweepDir(k.schema, QStringLiteral("the sweep folder"));
    addOutputParams(k.schema, false);
    k.run = [](const Params& p, JobContext&) {
        const QString dir = sweepDir(p);
        const QStringList jobs = cluster::cancelSweep(dir);
        JobResult result;
        result.report = QJsonObject{{QStringLiteral("cancelled"), QJsonArray::fromStringList(jobs)}};
        result.text = jobs.isEmpty() ? QStringLiteral("nothing to cancel: no unit of %1 is queued or running\n").arg(dir)
                                     : QStringLiteral("cancelled Slurm job array(s) %1\n").arg(jobs.join(QStringLiteral(", ")));
        return result;
    };
    return k;
}

JobKind resubmitKind()
{
    JobKind k;
    k.id = QStringLiteral("resubmit");
    k.title = QStringLiteral("Resubmit unfinished units");
    k.menu = kMenu;
    k.summary = QStringLiteral("send a sweep's failed, cancelled or never submitted units to Slurm again (resumed where they stopped)");
    k.help = QStringLiteral("Submits the units of the sweep in --sweep DIR that are neither done nor queued nor running as one new Slurm job array, "
                            "with the cluster options of the last submission unless given here. Units resume from their last finished epoch.");
    addSweepDir(k.schema, QStringLiteral("the sweep folder"));
    addExecutorParams(k.schema);
    k.schema.remove(QStringLiteral("executor"));
    addOutputParams(k.schema);
    k.run = [](const Params& p, JobContext& context) {
        const QString dir = sweepDir(p);
        // The last submission's options, with the ones given here on top.
        const QVector<cluster::Submission> before = cluster::submissions(dir);
        cluster::SlurmOptions options = before.isEmpty() ? cluster::SlurmOptions{} : before.last().options;
        const cluster::SlurmOptions given = slurmOptionsFrom(p);
        const auto take = [&p](const char* name, auto& target, const auto& value) {
            if (p.isSet(QLatin1String(name)))
                target = value;
        };
        take("partition", options.partition, given.partition);
        take("account", options.account, given.account);
        take("qos", options.qos, given.qos);
        take("time", options.time, given.time);
        take("cpus-per-task", options.cpusPerTask, given.cpusPerTask);
        take("mem", options.mem, given.mem);
        take("gres", options.gres, given.gres);
        take("sbatch-line", options.extraLines, given.extraLines);
        take("cli-path", options.cli, given.cli);
        take("max-concurrent", options.maxConcurrent, given.maxConcurrent);
        cluster::checkSlurmOptions(options);
        return runOnSlurm(options, p.flag(QStringLiteral("wait")), context, dir, QStringLiteral("resubmit"));
    };
    return k;
}

} // namespace ranklab::kinds
