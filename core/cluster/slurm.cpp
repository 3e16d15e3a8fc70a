#include "core/cluster/slurm.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include "core/cluster/local_processes.h"
#include "core/cluster/units.h"
#include "core/error.h"
#include "core/io/atomic_file.h"

namespace ranklab::cluster {

namespace {

const QString kSlurmDir = QStringLiteral("slurm");
const QString kJobsFile = QStringLiteral("slurm/jobs.json");

struct ToolResult {
    int exitCode = 0;
    QString out, err;
};

/// Runs a Slurm client command; throws ranklab::Error with one sentence when it is not on PATH or does not
/// answer within `timeoutMs`. The exit code is the caller's to judge.
ToolResult runTool(const QString& program, const QStringList& args, int timeoutMs = 60000)
{
    if (QStandardPaths::findExecutable(program).isEmpty())
        throw Error(QStringLiteral("%1 is not on PATH: install Slurm's client commands (Debian: slurm-client or slurm-wlm) on this "
                                   "machine, or run on the machine you submit from.")
                        .arg(program));
    QProcess process;
    process.start(program, args);
    if (!process.waitForStarted(10000))
        throw Error(QStringLiteral("%1 could not be started: %2.").arg(program, process.errorString()));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        throw Error(QStringLiteral("%1 did not answer within %2 s; is the Slurm controller reachable?").arg(program).arg(timeoutMs / 1000));
    }
    ToolResult r;
    r.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    r.out = QString::fromUtf8(process.readAllStandardOutput());
    r.err = QString::fromUtf8(process.readAllStandardError());
    return r;
}

/// The last non-empty line of a tool's error output, without "sbatch: error: ".
QString lastLine(const QString& text)
{
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QString line = lines.isEmpty() ? QString() : lines.last().trimmed();
    static const QRegularExpression prefix(QStringLiteral("^[a-z]+: error: "));
    return line.remove(prefix);
}

QString shellQuote(const QString& s)
{
    QString q = s;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

QJsonArray intsToJson(const QVector<int>& v)
{
    QJsonArray a;
    for (int x : v)
        a.append(x);
    return a;
}

/// Task indices of an array range string as squeue prints it: "2-3%2", "1-2,4-5%1", "7".
QVector<int> taskRange(const QString& text)
{
    QVector<int> out;
    for (const QString& part : text.section(QLatin1Char('%'), 0, 0).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList ends = part.split(QLatin1Char('-'));
        bool ok1 = false, ok2 = false;
        const int a = ends.value(0).toInt(&ok1);
        const int b = ends.size() > 1 ? ends.value(1).toInt(&ok2) : a;
        if (ok1 && (ends.size() == 1 || ok2))
            for (int i = a; i <= b && out.size() < 1000000; ++i)
                out.push_back(i);
    }
    return out;
}

void writeSubmissions(const QString& sweepDir, const QVector<Submission>& list)
{
    QJsonArray jobs;
    for (const Submission& s : list)
        jobs.append(QJsonObject{{QStringLiteral("job_id"), s.jobId},
                                {QStringLiteral("units"), intsToJson(s.units)},
                                {QStringLiteral("script"), s.script},
                                {QStringLiteral("submitted"), s.submitted},
                                {QStringLiteral("options"), toJson(s.options)}});
    io::writeJsonAtomic(QDir(sweepDir).filePath(kJobsFile), QJsonObject{{QStringLiteral("jobs"), jobs}});
}

/// The task's log: the ranklab-cli output the script redirects into slurm/logs.
QString taskLog(const QString& sweepDir, int unit, const QString& task)
{
    return QDir(sweepDir).filePath(QStringLiteral("slurm/logs/unit-%1.%2.log").arg(unit).arg(task));
}

} // namespace

QString logTail(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const qint64 size = f.size();
    if (size > 4096)
        f.seek(size - 4096);
    return lastLine(QString::fromUtf8(f.readAll()));
}

QJsonObject toJson(const SlurmOptions& o)
{
    QJsonObject json{{QStringLiteral("cpus_per_task"), o.cpusPerTask}, {QStringLiteral("max_concurrent"), o.maxConcurrent}};
    const auto text = [&json](const char* key, const QString& value) {
        if (!value.isEmpty())
            json.insert(QLatin1String(key), value);
    };
    text("partition", o.partition);
    text("account", o.account);
    text("qos", o.qos);
    text("time", o.time);
    text("mem", o.mem);
    text("gres", o.gres);
    text("cli", o.cli);
    if (!o.extraLines.isEmpty())
        json.insert(QStringLiteral("extra"), QJsonArray::fromStringList(o.extraLines));
    return json;
}

SlurmOptions slurmOptionsFromJson(const QJsonObject& json)
{
    SlurmOptions o;
    o.partition = json.value(QStringLiteral("partition")).toString();
    o.account = json.value(QStringLiteral("account")).toString();
    o.qos = json.value(QStringLiteral("qos")).toString();
    o.time = json.value(QStringLiteral("time")).toString();
    o.mem = json.value(QStringLiteral("mem")).toString();
    o.gres = json.value(QStringLiteral("gres")).toString();
    o.cli = json.value(QStringLiteral("cli")).toString();
    o.cpusPerTask = json.value(QStringLiteral("cpus_per_task")).toInt(1);
    o.maxConcurrent = json.value(QStringLiteral("max_concurrent")).toInt(0);
    for (const QJsonValue& v : json.value(QStringLiteral("extra")).toArray())
        o.extraLines << v.toString();
    return o;
}

void checkSlurmOptions(const SlurmOptions& o)
{
    // Slurm's --time forms: minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes,
    // days-hours:minutes:seconds.
    static const QRegularExpression time(QStringLiteral("^(\\d+|\\d+:\\d{1,2}|\\d+:\\d{1,2}:\\d{1,2}|\\d+-\\d+|\\d+-\\d+:\\d{1,2}|\\d+-\\d+:\\d{1,2}:\\d{1,2})$"));
    if (!o.time.isEmpty() && !time.match(o.time).hasMatch())
        throw OptionError(QStringLiteral("--time '%1' is not a Slurm time limit: write MINUTES, HH:MM:SS or D-HH:MM:SS (e.g. 02:00:00).").arg(o.time));
    if (o.cpusPerTask < 1)
        throw OptionError(QStringLiteral("--cpus-per-task must be at least 1, not %1.").arg(o.cpusPerTask));
    if (o.maxConcurrent < 0)
        throw OptionError(QStringLiteral("--max-concurrent must be 0 (no limit) or more, not %1.").arg(o.maxConcurrent));
    for (const QString& line : o.extraLines)
        if (line.contains(QLatin1Char('\n')))
            throw OptionError(QStringLiteral("an extra #SBATCH directive must be one line: '%1'.").arg(line));
    for (const QString& value : {o.partition, o.account, o.qos, o.mem, o.gres})
        if (value.contains(QRegularExpression(QStringLiteral("\\s"))))
            throw OptionError(QStringLiteral("'%1' holds white space; Slurm names and sizes do not.").arg(value));
}

QString batchScript(const SlurmOptions& o, const QString& sweepDir, const QVector<search::SweepUnit>& units)
{
    const QString dir = QDir(sweepDir).absolutePath();
    const QString name = QFileInfo(dir).fileName();
    QString s;
    s += QStringLiteral("#!/bin/bash\n");
    s += QStringLiteral("# Written by RankLab: one task per unit of the run folder %1\n"
                        "# (a sweep: one seed of its baseline or of one entry; any other job: the whole job). Task i runs\n"
                        "# unit UNITS[i] with ranklab-cli sweep-unit, which reads the unit's parameters from the folder\n"
                        "# (sweep.json or job.json) and writes its results there; a unit is done when its final file exists.\n"
                        "# Units are resumable: a task killed by a time limit or preemption continues from its last\n"
                        "# finished epoch when it is submitted again (ranklab-cli resubmit).\n")
             .arg(dir);
    s += QStringLiteral("#SBATCH --job-name=ranklab-%1\n").arg(name);
    s += QStringLiteral("#SBATCH --array=0-") + QString::number(units.size() - 1)
        + (o.maxConcurrent > 0 ? QStringLiteral("%") + QString::number(o.maxConcurrent) : QString()) + QLatin1Char('\n');
    s += QStringLiteral("#SBATCH --output=%1/slurm/logs/array-%A_%a.out\n").arg(dir);
    s += QStringLiteral("#SBATCH --cpus-per-task=%1\n").arg(o.cpusPerTask);
    s += QStringLiteral("#SBATCH --ntasks=1\n");
    if (!o.partition.isEmpty())
        s += QStringLiteral("#SBATCH --partition=%1\n").arg(o.partition);
    if (!o.account.isEmpty())
        s += QStringLiteral("#SBATCH --account=%1\n").arg(o.account);
    if (!o.qos.isEmpty())
        s += QStringLiteral("#SBATCH --qos=%1\n").arg(o.qos);
    if (!o.time.isEmpty())
        s += QStringLiteral("#SBATCH --time=%1\n").arg(o.time);
    if (!o.mem.isEmpty())
        s += QStringLiteral("#SBATCH --mem=%1\n").arg(o.mem);
    if (!o.gres.isEmpty())
        s += QStringLiteral("#SBATCH --gres=%1\n").arg(o.gres);
    for (const QString& line : o.extraLines)
        s += line.trimmed().startsWith(QLatin1String("#SBATCH")) ? line.trimmed() + QLatin1Char('\n') : QStringLiteral("#SBATCH %1\n").arg(line.trimmed());
    s += QStringLiteral("set -u\n");
    s += QStringLiteral("SWEEP=%1\n").arg(shellQuote(dir));
    QStringList ids;
    for (const search::SweepUnit& u : units)
        ids << QString::number(u.id);
    s += QStringLiteral("UNITS=(%1)\n").arg(ids.join(QLatin1Char(' ')));
    s += QStringLiteral("UNIT=${UNITS[$SLURM_ARRAY_TASK_ID]}\n");
    s += QStringLiteral("TASK=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\n");
    s += QStringLiteral("# The start marker: a task that runs but cannot see the sweep folder leaves none (RankLab says so).\n");
    s += QStringLiteral("mkdir -p \"$SWEEP/slurm/started\" \"$SWEEP/slurm/logs\" && touch \"$SWEEP/slurm/started/$TASK\" || exit 3\n");
    s += QStringLiteral("exec %1 sweep-unit --sweep \"$SWEEP\" --unit \"$UNIT\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" "
                        ">\"$SWEEP/slurm/logs/unit-$UNIT.$TASK.log\" 2>&1\n")
             .arg(shellQuote(o.cli.isEmpty() ? localCli() : o.cli));
    return s;
}

QVector<Submission> submissions(const QString& sweepDir)
{
    QVector<Submission> out;
    const QString path = QDir(sweepDir).filePath(kJobsFile);
    if (!QFileInfo::exists(path))
        return out;
    for (const QJsonValue& v : io::readJsonObject(path).value(QStringLiteral("jobs")).toArray()) {
        const QJsonObject o = v.toObject();
        Submission s;
        s.jobId = o.value(QStringLiteral("job_id")).toString();
        for (const QJsonValue& u : o.value(QStringLiteral("units")).toArray())
            s.units.push_back(u.toInt());
        s.script = o.value(QStringLiteral("script")).toString();
        s.submitted = o.value(QStringLiteral("submitted")).toString();
        s.options = slurmOptionsFromJson(o.value(QStringLiteral("options")).toObject());
        if (s.jobId.isEmpty())
            throw Error(QStringLiteral("%1 is damaged: a submission has no job id.").arg(path));
        out.push_back(s);
    }
    return out;
}

Submission submitUnits(const SlurmOptions& options, const QString& sweepDir, const QVector<search::SweepUnit>& units)
{
    checkSlurmOptions(options);
    if (units.isEmpty())
        return {};
    const QDir root(QDir(sweepDir).absolutePath());
    QDir().mkpath(root.filePath(QStringLiteral("slurm/logs")));
    QVector<Submission> list = submissions(root.path());
    Submission s;
    s.options = options;
    s.script = QStringLiteral("slurm/array-%1.sh").arg(list.size() + 1);
    for (const search::SweepUnit& u : units)
        s.units.push_back(u.id);
    io::writeFileAtomic(root.filePath(s.script), batchScript(options, root.path(), units).toUtf8());
    const ToolResult r = runTool(QStringLiteral("sbatch"), {QStringLiteral("--parsable"), root.filePath(s.script)});
    if (r.exitCode != 0)
        throw Error(QStringLiteral("sbatch refused the job array: %1.").arg(lastLine(r.err.isEmpty() ? r.out : r.err)));
    // --parsable prints "JOBID" or "JOBID;CLUSTER".
    s.jobId = r.out.trimmed().section(QLatin1Char(';'), 0, 0);
    if (s.jobId.isEmpty() || !s.jobId.at(0).isDigit())
        throw Error(QStringLiteral("sbatch gave no job id (it printed '%1').").arg(r.out.trimmed()));
    s.submitted = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    list.push_back(s);
    writeSubmissions(root.path(), list);
    return s;
}

QString unitStateName(UnitState state)
{
    switch (state) {
    case UnitState::Done: return QStringLiteral("done");
    case UnitState::Pending: return QStringLiteral("pending");
    case UnitState::Running: return QStringLiteral("running");
    case UnitState::Failed: return QStringLiteral("failed");
    case UnitState::Cancelled: return QStringLiteral("cancelled");
    case UnitState::Unsubmitted: return QStringLiteral("unsubmitted");
    }
    return {};
}

QVector<UnitStatus> unitStates(const QString& sweepDir)
{
    const QString dir = QDir(sweepDir).absolutePath();
    const QVector<search::SweepUnit> units = folderUnits(dir);
    const QVector<Submission> subs = submissions(dir);
    // The latest submission of each unit, and its task index there.
    QHash<int, QPair<int, int>> latest; // unit → (submission, task)
    for (int s = 0; s < subs.size(); ++s)
        for (int t = 0; t < subs[s].units.size(); ++t)
            latest.insert(subs[s].units[t], {s, t});
    bool unfinishedSubmitted = false;
    for (const search::SweepUnit& u : units)
        unfinishedSubmitted = unfinishedSubmitted || (!u.done && latest.contains(u.id));
    // The queue: (array job id, task) → state. squeue --json ignores its filters (22.05) and lists every job the
    // controller still holds, finished ones too until MinJobAge.
    QHash<QString, QString> queue;
    if (unfinishedSubmitted) {
        const ToolResult r = runTool(QStringLiteral("squeue"), {QStringLiteral("--json")});
        if (r.exitCode != 0)
            throw Error(QStringLiteral("squeue failed: %1.").arg(lastLine(r.err.isEmpty() ? r.out : r.err)));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            throw Error(QStringLiteral("squeue --json printed no JSON (%1); RankLab needs Slurm 22.05 or later.").arg(error.errorString()));
        for (const QJsonValue& v : doc.object().value(QStringLiteral("jobs")).toArray()) {
            const QJsonObject j = v.toObject();
            const QString array = QString::number(j.value(QStringLiteral("array_job_id")).toInteger());
            const QString state = j.value(QStringLiteral("job_state")).toString();
            const QJsonValue task = j.value(QStringLiteral("array_task_id"));
            if (task.isDouble()) {
                queue.insert(array + QLatin1Char('_') + QString::number(task.toInt()), state);
            } else {
                // The array's not yet started tasks: one record whose range lists them.
                for (int t : taskRange(j.value(QStringLiteral("array_task_string")).toString()))
                    queue.insert(array + QLatin1Char('_') + QString::number(t), state);
            }
        }
    }
    QVector<UnitStatus> out;
    for (const search::SweepUnit& u : units) {
        UnitStatus st;
        st.unit = u;
        if (latest.contains(u.id)) {
            const auto [s, t] = latest.value(u.id);
            st.task = subs[s].jobId + QLatin1Char('_') + QString::number(t);
            const QString log = taskLog(dir, u.id, st.task);
            if (QFileInfo::exists(log))
                st.log = log;
        }
        if (u.done) {
            st.state = UnitState::Done;
        } else if (st.task.isEmpty()) {
            st.state = UnitState::Unsubmitted;
        } else {
            st.slurmState = queue.value(st.task);
            const QString& q = st.slurmState;
            const bool started = QFileInfo::exists(QDir(dir).filePath(QStringLiteral("slurm/started/") + st.task));
            if (q == QLatin1String("PENDING") || q == QLatin1String("REQUEUED") || q == QLatin1String("RESIZING")) {
                st.state = UnitState::Pending;
            } else if (q == QLatin1String("RUNNING") || q == QLatin1String("CONFIGURING") || q == QLatin1String("COMPLETING")
                       || q == QLatin1String("SUSPENDED")) {
                st.state = UnitState::Running;
            } else if (q == QLatin1String("CANCELLED") || q == QLatin1String("PREEMPTED")) {
                st.state = UnitState::Cancelled;
                st.reason = QStringLiteral("%1 was %2 before it finished; resubmit it (it resumes from its last epoch).")
                                .arg(u.label, q.toLower());
            } else {
                st.state = UnitState::Failed;
                const QString tail = logTail(st.log);
                if (!started && !q.isEmpty())
                    st.reason = QStringLiteral("%1 ended (%2) without writing its start marker: the node cannot see %3 (the workspace must be "
                                               "on storage every node mounts at the same path).")
                                    .arg(u.label, q, dir);
                else if (q == QLatin1String("TIMEOUT"))
                    st.reason = QStringLiteral("%1 hit its time limit (--time); resubmit it (it resumes from its last epoch) or give it more time.")
                                    .arg(u.label);
                else if (q.isEmpty())
                    st.reason = QStringLiteral("%1 is no longer in the queue and did not finish%2.")
                                    .arg(u.label, tail.isEmpty() ? QString() : QStringLiteral(": %1").arg(tail));
                else
                    st.reason = QStringLiteral("%1 ended %2 without finishing%3.")
                                    .arg(u.label, q, tail.isEmpty() ? QString() : QStringLiteral(": %1").arg(tail));
            }
        }
        out.push_back(st);
    }
    return out;
}

QStringList cancelSweep(const QString& sweepDir)
{
    const QString dir = QDir(sweepDir).absolutePath();
    QStringList jobs;
    QHash<QString, bool> active;
    for (const UnitStatus& st : unitStates(dir))
        if (st.state == UnitState::Pending || st.state == UnitState::Running)
            active.insert(st.task.section(QLatin1Char('_'), 0, 0), true);
    for (const Submission& s : submissions(dir))
        if (active.contains(s.jobId))
            jobs << s.jobId;
    if (jobs.isEmpty())
        return jobs;
    const ToolResult r = runTool(QStringLiteral("scancel"), jobs);
    if (r.exitCode != 0)
        throw Error(QStringLiteral("scancel failed: %1.").arg(lastLine(r.err.isEmpty() ? r.out : r.err)));
    return jobs;
}

Submission submitUnfinished(const SlurmOptions& options, const QString& sweepDir)
{
    QVector<search::SweepUnit> todo;
    for (const UnitStatus& st : unitStates(sweepDir))
        if (st.state == UnitState::Failed || st.state == UnitState::Cancelled || st.state == UnitState::Unsubmitted)
            todo.push_back(st.unit);
    if (todo.isEmpty())
        return {};
    return submitUnits(options, sweepDir, todo);
}

QString testConnection()
{
    const ToolResult r = runTool(QStringLiteral("sinfo"), {QStringLiteral("-h"), QStringLiteral("-o"), QStringLiteral("%P %D %T")}, 30000);
    if (r.exitCode != 0)
        throw Error(QStringLiteral("sinfo cannot reach the cluster: %1.").arg(lastLine(r.err.isEmpty() ? r.out : r.err)));
    QStringList parts;
    for (const QString& line : r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QStringList f = line.simplified().split(QLatin1Char(' '));
        if (f.size() >= 3)
            parts << QStringLiteral("partition %1: %2 node(s) %3").arg(f[0], f[1], f[2]);
    }
    if (parts.isEmpty())
        throw Error(QStringLiteral("sinfo answered but lists no partition; the cluster has no nodes configured."));
    return parts.join(QStringLiteral("; "));
}

} // namespace ranklab::cluster
