// Case cluster-overhead (issue 14): the same small sweep through the local executor (2 workers, 1 thread each),
// through child processes (--executor processes: 2 at once, 1 thread each) and through a one-node Slurm cluster (2 CPUs: 2 tasks at once, 1 thread each) started here by
// tests/slurm/local-cluster.sh; wall-time ratios slurm / local and processes / local (median of interleaved repeats), and the time from the
// last unit's end (its summary.json) to the status the CLI and the GUI read (unitStates) showing every unit done.
#include <chrono>
#include <cstdio>
#include <thread>

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include "core/cluster/local_processes.h"
#include "core/cluster/slurm.h"
#include "core/error.h"
#include "core/jobs/job_kind.h"
#include "core/models/model_spec.h"
#include "core/search/sweep.h"
#include "tests/bench/bench_cases.h"

namespace ranklab::bench {
namespace {
using Clock = std::chrono::steady_clock;

int clusterScript(const QString& verb, const QString& dir)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedChannels);
    p.start(QStringLiteral(RANKLAB_SOURCE_DIR "/tests/slurm/local-cluster.sh"), {verb, dir});
    p.waitForFinished(120000);
    return p.exitCode();
}

int runClusterOverhead(int repeats)
{
    JobKinds::all();
    search::SweepParams sweep;
    sweep.train.model = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    sweep.train.model.width = 0.25;
    sweep.train.model.inChannels = 0;
    sweep.train.model.inputSize = 0;
    sweep.train.data.subset = 1000;
    sweep.train.data.testSubset = 300;
    sweep.train.epochs = 1;
    sweep.train.batchSize = 64;
    sweep.train.lr = 0.05;
    sweep.train.threads = 2;
    sweep.train.seed = 1;
    sweep.layers = QStringLiteral("1,10,20");
    sweep.basis.size = 0.5;
    sweep.seeds = 2;
    sweep.workers = 2;
    std::printf("cluster-overhead: cifar_resnet18 w0.25, 1000 images, 1 epoch, layers 1,10,20, 2 seeds (8 units); local: 2 workers x 1 "
                "thread; slurm: one-node cluster, 2 CPUs, --cpus-per-task 1; %d interleaved repeat(s)\n",
                repeats);
    std::fflush(stdout);
    QTemporaryDir tmp;
    const QString cluster = tmp.filePath(QStringLiteral("cluster"));
    const int started = clusterScript(QStringLiteral("start"), cluster);
    if (started == 77) {
        std::printf("  skipped: slurm-wlm/munge are not installed\n");
        return 0;
    }
    if (started != 0) {
        std::printf("  the local cluster did not start\n");
        return 1;
    }
    qputenv("SLURM_CONF", QDir(cluster).filePath(QStringLiteral("slurm.conf")).toUtf8());
    cluster::SlurmOptions options;
    options.cli = QStringLiteral(RANKLAB_CLI_PATH);
    options.cpusPerTask = 1;
    std::vector<double> local, processes, slurm, latency;
    cluster::ProcessRunOptions children;
    children.workers = 2;
    children.threads = 1;
    children.cli = QStringLiteral(RANKLAB_CLI_PATH);
    int rc = 0;
    try {
        for (int r = 0; r < std::max(1, repeats); ++r) {
            auto t0 = Clock::now();
            search::runSweep(sweep, tmp.filePath(QStringLiteral("local-%1").arg(r)));
            local.push_back(std::chrono::duration<double>(Clock::now() - t0).count());

            const QString childDir = QDir(tmp.filePath(QStringLiteral("processes-%1").arg(r))).absolutePath();
            t0 = Clock::now();
            search::prepareSweep(sweep, childDir);
            for (const cluster::UnitStatus& st : cluster::runUnitsInProcesses(childDir, children, {}, nullptr))
                if (st.state != cluster::UnitState::Done)
                    throw Error(QStringLiteral("unit %1 did not finish in its process: %2").arg(st.unit.id).arg(st.reason));
            search::finishSweep(childDir, 2);
            processes.push_back(std::chrono::duration<double>(Clock::now() - t0).count());

            const QString dir = QDir(tmp.filePath(QStringLiteral("slurm-%1").arg(r))).absolutePath();
            t0 = Clock::now();
            search::prepareSweep(sweep, dir);
            cluster::submitUnfinished(options, dir);
            QVector<cluster::UnitStatus> states;
            for (;;) {
                states = cluster::unitStates(dir);
                int done = 0, active = 0;
                for (const cluster::UnitStatus& st : states) {
                    done += st.state == cluster::UnitState::Done;
                    active += st.state == cluster::UnitState::Pending || st.state == cluster::UnitState::Running;
                }
                if (active == 0)
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
            const QDateTime seen = QDateTime::currentDateTimeUtc();
            search::finishSweep(dir, 2);
            slurm.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
            QDateTime last;
            for (const cluster::UnitStatus& st : states) {
                if (st.state != cluster::UnitState::Done)
                    throw Error(QStringLiteral("unit %1 did not finish: %2").arg(st.unit.id).arg(st.reason));
                const QDateTime m = QFileInfo(QDir(dir).filePath(st.unit.runDir + QStringLiteral("/summary.json"))).lastModified().toUTC();
                if (!last.isValid() || m > last)
                    last = m;
            }
            latency.push_back(last.msecsTo(seen) / 1000.0);
            std::printf("  repeat %d: local %.1f s, processes %.1f s, slurm %.1f s, last unit's end to status showing it %.2f s\n", r + 1,
                        local.back(), processes.back(), slurm.back(), latency.back());
            std::fflush(stdout);
        }
        std::printf("  wall time processes / local: %.3f (median %.1f s / %.1f s): the price of isolating each unit in a process\n",
                    median(processes) / median(local), median(processes), median(local));
        const double ratio = median(slurm) / median(local);
        std::printf("  wall time slurm / local: %.3f (median %.1f s / %.1f s); goal <= 1.2: %s\n", ratio, median(slurm), median(local),
                    ratio <= 1.2 ? "met" : "MISSED");
        std::printf("  last unit's end to status: median %.2f s; goal <= 5 s: %s (the GUI reads the same status)\n", median(latency),
                    median(latency) <= 5 ? "met" : "MISSED");
    } catch (const std::exception& e) {
        std::printf("  failed: %s\n", e.what());
        rc = 1;
    }
    clusterScript(QStringLiteral("stop"), cluster);
    return rc;
}

const CaseRegistration registration("cluster-overhead",
                                    {"the same small sweep through the local executor and a one-node Slurm cluster: wall-time ratio and "
                                     "status latency",
                                     runClusterOverhead});

} // namespace
} // namespace ranklab::bench
