#include "core/cluster/local_processes.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <memory>

#include "core/cluster/units.h"
#include "core/error.h"

namespace ranklab::cluster {

QString localCli()
{
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("ranklab-cli"));
    if (QFileInfo(beside).isExecutable())
        return beside;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("ranklab-cli"));
    return onPath.isEmpty() ? QStringLiteral("ranklab-cli") : onPath;
}

namespace {
/// Why a finished child did not complete its unit, in one sentence with its log's last line.
QString failureReason(const QProcess& process, const QString& log)
{
    const QString tail = logTail(log);
    const QString how = process.exitStatus() == QProcess::CrashExit
        ? QStringLiteral("its process was killed (crash or signal)")
        : QStringLiteral("its process exited with status %1").arg(process.exitCode());
    return tail.isEmpty() ? how + QLatin1Char('.') : QStringLiteral("%1: %2").arg(how, tail);
}
} // namespace

QVector<UnitStatus> runUnitsInProcesses(const QString& sweepDirIn, const ProcessRunOptions& options,
                                        const std::function<void(const QVector<UnitStatus>&)>& onChange,
                                        const std::atomic_bool* cancel)
{
    const QString sweepDir = QDir(sweepDirIn).absolutePath();
    const QString cli = options.cli.isEmpty() ? localCli() : options.cli;
    const QDir logs(QDir(sweepDir).filePath(QStringLiteral("units/logs")));
    if (!QDir().mkpath(logs.path()))
        throw Error(QStringLiteral("cannot create %1 for the units' logs.").arg(logs.path()));
    QVector<UnitStatus> states;
    for (const search::SweepUnit& u : folderUnits(sweepDir)) {
        UnitStatus st;
        st.unit = u;
        st.state = u.done ? UnitState::Done : UnitState::Unsubmitted;
        states.push_back(st);
    }
    const auto changed = [&] {
        if (onChange)
            onChange(states);
    };
    changed();

    struct Child {
        int index = 0;
        std::unique_ptr<QProcess> process;
    };
    std::vector<Child> running;
    int next = 0;
    bool stopping = false;
    const int workers = std::max(1, options.workers);
    for (;;) {
        if (!stopping && cancel && cancel->load()) {
            stopping = true;
            for (Child& c : running)
                c.process->terminate(); // SIGTERM: ranklab-cli stops at the next batch, keeping its checkpoint
        }
        while (!stopping && int(running.size()) < workers && next < states.size()) {
            UnitStatus& st = states[next];
            if (st.state == UnitState::Done) {
                ++next;
                continue;
            }
            auto process = std::make_unique<QProcess>();
            st.log = logs.filePath(QStringLiteral("unit-%1.log").arg(st.unit.id));
            process->setProcessChannelMode(QProcess::MergedChannels);
            process->setStandardOutputFile(st.log, QIODevice::Append);
            process->start(cli, {QStringLiteral("sweep-unit"), QStringLiteral("--sweep"), sweepDir, QStringLiteral("--unit"),
                                 QString::number(st.unit.id), QStringLiteral("--threads"), QString::number(std::max(1, options.threads))});
            if (!process->waitForStarted(30000))
                throw Error(QStringLiteral("cannot start %1 for unit %2: %3.").arg(cli).arg(st.unit.id).arg(process->errorString()));
            st.state = UnitState::Running;
            st.task = QStringLiteral("pid %1").arg(process->processId());
            running.push_back({next, std::move(process)});
            ++next;
            changed();
        }
        if (running.empty())
            break;
        bool ended = false;
        for (auto it = running.begin(); it != running.end();) {
            // Short waits on each child in turn: the loop also notices the cancel flag within a fraction of a second.
            if (!it->process->waitForFinished(std::max(10, 200 / int(running.size())))) {
                ++it;
                continue;
            }
            UnitStatus& st = states[it->index];
            st.unit.done = QFileInfo::exists(QDir(QDir(sweepDir).filePath(st.unit.runDir)).filePath(QStringLiteral("summary.json")));
            if (st.unit.done && it->process->exitStatus() == QProcess::NormalExit && it->process->exitCode() == 0) {
                st.state = UnitState::Done;
            } else if (stopping) {
                st.state = UnitState::Cancelled;
                st.reason = QStringLiteral("cancelled; its checkpoint is kept and it continues where it stopped when run again.");
            } else {
                st.state = UnitState::Failed;
                st.reason = failureReason(*it->process, st.log);
            }
            st.task.clear();
            it = running.erase(it);
            ended = true;
        }
        if (ended)
            changed();
    }
    return states;
}

} // namespace ranklab::cluster
