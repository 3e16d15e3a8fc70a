// Cases ron-lenet and ron-vgg: paper B's RON on teachers trained here on Fashion-MNIST, teacher and student
// measured side by side in one run (accuracy, FLOPs, median CPU latency at batch 1 and 64).
#include <cstdio>

#include <QDir>
#include <QFileInfo>

#include "core/error.h"
#include "core/ron/ron_job.h"
#include "core/train/trainer.h"
#include "tests/bench/bench_cases.h"

namespace ranklab::bench {
namespace {

QString benchDir(const QString& name)
{
    const QString root = qEnvironmentVariable("RANKLAB_BENCH_DIR", QDir::tempPath() + QStringLiteral("/ranklab-bench-ron"));
    return QDir(root).filePath(name);
}

TrainCallbacks quietLog()
{
    TrainCallbacks cb;
    cb.log = [](const QString& line) { std::fprintf(stderr, "  %s\n", qPrintable(line)); };
    return cb;
}

/// Trains (or reuses, resuming) the teacher and returns its weights.
QString teacher(const TrainParams& params, const QString& name)
{
    const QString dir = benchDir(name + QStringLiteral("-teacher"));
    const TrainSummary s = runTraining(params, dir, QFileInfo::exists(dir + QStringLiteral("/params.json")), quietLog());
    std::printf("teacher %s: %d epochs, test acc@1 %.2f%%, %.0f s of training\n", qPrintable(params.model.name),
                s.epochsDone, 100 * s.finalTestTop1, s.trainSeconds);
    return s.weightsPath;
}

void print(const ron::RonReport& r, double flopGoal, double dropGoal, bool speedGoal)
{
    std::printf("modified layers %s (%s .. %s)\n", qPrintable(r.modifiedLayers), qPrintable(r.firstName), qPrintable(r.lastName));
    for (const ron::RonLayerReport& l : r.layers)
        std::printf("  %-16s D %6lld  R %4lld (EVBMF %4lld)  P %4lld  low-rank err %.3f  e %.3f <= %.3f (eq. 20)  student err %.3f\n",
                    qPrintable(l.name), (long long)l.dim, (long long)l.rank, (long long)l.vbmfRank, (long long)l.rows,
                    l.lowRankError, l.sampledError, l.bound20, l.studentError);
    std::printf("acc@1: teacher %.2f%%  student %.2f%%  fine-tuned %.2f%%  (drop after fine-tuning %.2f points; goal <= %.1f)\n",
                100 * r.teacherTop1, 100 * r.studentTop1, 100 * r.finetunedTop1, 100 * (r.teacherTop1 - r.finetunedTop1),
                dropGoal);
    std::printf("FLOPs: modified part %lld -> %lld = %.2fx (goal >= %.1fx); whole net %lld -> %lld = %.2fx\n",
                (long long)r.teacherRangeFlops, (long long)r.studentRangeFlops, r.rangeFlopReduction, flopGoal,
                (long long)r.teacherFlops, (long long)r.studentFlops, r.totalFlopReduction);
    std::printf("params: %lld -> %lld\n", (long long)r.teacherParams, (long long)r.studentParams);
    std::printf("CPU latency (%d thread, median): batch 1 %.3f -> %.3f ms = %.2fx; batch 64 %.2f -> %.2f ms = %.2fx\n",
                r.latencyThreads, r.teacherLatency1Ms, r.studentLatency1Ms, r.speedup1, r.teacherLatency64Ms,
                r.studentLatency64Ms, r.speedup64);
    if (speedGoal)
        std::printf("speed-up at batch 1 / whole-net FLOP reduction = %.2f (goal >= 0.9)\n", r.speedup1 / r.totalFlopReduction);
    std::printf("build %.1f s, fine-tuning %.1f s; out %s\n", r.buildSeconds, r.finetuneSeconds,
                qPrintable(QFileInfo(r.studentWeights).absolutePath()));
}

/// One benchmark: the teacher's training (zoo model `name`, lr 0.05, 2 threads), the RON build on top of it
/// (EVBMF ranks, P = 1.5 R, fine-tuning at lr 0.01) and the goals it is judged by.
struct RonCase {
    RonCase(const char* model, int teacherEpochs) : name(QString::fromLatin1(model))
    {
        teacher.model = defaultModelSpec(name);
        teacher.epochs = teacherEpochs;
        teacher.lr = 0.05;
        teacher.threads = 2;
    }
    QString name;
    TrainParams teacher;
    QString layers;
    int samples = 0, latencyRepeats = 0, finetuneEpochs = 0;
    double flopGoal = 0, dropGoal = 0;
    bool speedGoal = false;
};

/// Trains (or reuses) the teacher, then builds, measures and fine-tunes the student from scratch.
int runCase(const RonCase& c)
{
    const QString weights = teacher(c.teacher, c.name);
    ron::RonParams p;
    p.model = c.teacher.model;
    p.data = c.teacher.data;
    p.weights = weights;
    p.layers = c.layers;
    p.samples = c.samples;
    p.latencyRepeats = c.latencyRepeats;
    p.threads = 2;
    p.finetune.epochs = c.finetuneEpochs;
    p.finetune.lr = 0.01;
    p.finetune.weightDecay = 1e-4;
    p.finetune.threads = 2;
    const QString out = benchDir(c.name + QStringLiteral("-ron"));
    QDir(out).removeRecursively();
    print(ron::runRon(p, out, quietLog()), c.flopGoal, c.dropGoal, c.speedGoal);
    return 0;
}

int runLenet(int repeats)
{
    RonCase c("lenet300", 10); // 1×28×28: Fashion-MNIST as it is, all 60k training images
    c.layers = QStringLiteral("1-3");
    c.samples = 20000;
    c.latencyRepeats = std::max(50, repeats);
    c.finetuneEpochs = 5;
    c.flopGoal = 8;
    c.dropGoal = 1;
    return runCase(c);
}

int runVgg(int repeats)
{
    RonCase c("cifar_vgg11", 4);
    c.teacher.model.inChannels = 1; // Fashion-MNIST resized to 32×32, one channel
    c.teacher.model.width = 0.25;
    c.teacher.data.subset = 20000;
    c.layers = QStringLiteral("5-8");
    c.samples = 8000;
    c.latencyRepeats = std::max(30, repeats);
    c.finetuneEpochs = 2;
    c.flopGoal = 2.5;
    c.dropGoal = 0.3;
    c.speedGoal = true;
    return runCase(c);
}

const CaseRegistration kLenet{"ron-lenet",
                              {"RON with EVBMF ranks on lenet300 trained on Fashion-MNIST (goal >= 8x FLOPs, <= 1 pt drop)", runLenet}};
const CaseRegistration kVgg{"ron-vgg",
                            {"RON on the last 4 convs of cifar_vgg11 (width 0.25, 32x32 Fashion-MNIST, 20k images)", runVgg}};

} // namespace
} // namespace ranklab::bench
