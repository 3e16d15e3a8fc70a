// Case basis-train: training with skip (paper A §4.2) vs baseline training, same seed, side by side.
#include <cstdio>
#include <algorithm>
#include <cstdlib>

#include <QTemporaryDir>

#include "core/basis/skip_training.h"
#include "core/train/trainer.h"
#include "tests/bench/bench_cases.h"

namespace ranklab::bench {
namespace {

/// cifar_resnet18 width 0.25 on a 10k Fashion-MNIST subset (full test set), paper A's optimiser and cosine
/// schedule. RANKLAB_BENCH_EPOCHS and RANKLAB_BENCH_LAYERS override the schedule length and layer set.
basis::BasisTrainParams benchParams()
{
    basis::BasisTrainParams p;
    p.train.model = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    p.train.model.width = 0.25;
    p.train.model.inChannels = 0;
    p.train.model.inputSize = 0;
    p.train.data.subset = 10000;
    p.train.epochs = qEnvironmentVariableIntValue("RANKLAB_BENCH_EPOCHS") > 0
                         ? qEnvironmentVariableIntValue("RANKLAB_BENCH_EPOCHS")
                         : 10;
    p.train.batchSize = 128;
    p.train.lr = 0.1;
    p.train.threads = 2;
    p.train.seed = 1;
    p.layers = qEnvironmentVariableIsSet("RANKLAB_BENCH_LAYERS") ? qEnvironmentVariable("RANKLAB_BENCH_LAYERS")
                                                                 : QStringLiteral("all");
    p.basis.size = 0.5;
    p.basis.beta = 0;
    p.basis.form = basis::BasisForm::Pair;
    p.basis.init = basis::BasisInit::Random;
    p.skipEpochs = std::max(1, int(p.train.epochs * 0.3 + 0.5));
    return p;
}

int runBasisTrain(int repeats)
{
    const basis::BasisTrainParams p = benchParams();
    std::printf("basis-train: cifar_resnet18 w0.25, Fashion-MNIST 10k subset (full test set), %d epochs, batch 128, "
                "%d threads, seed %llu\nskip training: pair form, size 0.5, beta 0, random init, layers %s, skip %d "
                "epochs (30%%); baseline and skip run back to back, %d repeats\n\n",
                p.train.epochs, p.train.threads, static_cast<unsigned long long>(p.train.seed), qPrintable(p.layers),
                p.skipEpochs, repeats);
    std::vector<double> trainRatio, wallRatio, accDiff, basisEpochRatio, baseAcc, skipAcc;
    for (int r = 0; r < repeats; ++r) {
        QTemporaryDir baseDir, skipDir;
        const TrainSummary base = runTraining(p.train, baseDir.path(), false);
        const TrainSummary skip = basis::runBasisTraining(p, skipDir.path(), false);
        trainRatio.push_back(skip.trainSeconds / base.trainSeconds);
        wallRatio.push_back(skip.totalSeconds / base.totalSeconds);
        accDiff.push_back(100 * (skip.finalTestTop1 - base.finalTestTop1));
        baseAcc.push_back(100 * base.finalTestTop1);
        skipAcc.push_back(100 * skip.finalTestTop1);
        // Speed of the basis phase alone: its epochs vs the same epochs of the baseline.
        double basisSeconds = 0, sameBaseSeconds = 0;
        for (int e = 0; e < p.skipEpochs; ++e) {
            basisSeconds += skip.history[e].trainSeconds;
            sameBaseSeconds += base.history[e].trainSeconds;
        }
        basisEpochRatio.push_back(basisSeconds / sameBaseSeconds);
        std::fprintf(stderr,
                     "  repeat %d: baseline %.1f s train / %.1f s wall, %.2f%%; skip %.1f s / %.1f s, %.2f%%; "
                     "basis epochs %.3f x baseline's\n",
                     r + 1, base.trainSeconds, base.totalSeconds, 100 * base.finalTestTop1, skip.trainSeconds,
                     skip.totalSeconds, 100 * skip.finalTestTop1, basisEpochRatio.back());
    }
    std::printf("%-44s %10s\n", "figure (median of repeats)", "value");
    std::printf("%-44s %10.3f\n", "training time ratio skip / baseline", median(trainRatio));
    std::printf("%-44s %10.3f\n", "wall time ratio skip / baseline (incl. eval)", median(wallRatio));
    std::printf("%-44s %10.3f\n", "basis-phase epochs / same baseline epochs", median(basisEpochRatio));
    std::printf("%-44s %10.2f\n", "baseline test top-1 (%)", median(baseAcc));
    std::printf("%-44s %10.2f\n", "skip test top-1 (%)", median(skipAcc));
    std::printf("%-44s %+10.2f\n", "accuracy difference skip - baseline (pt)", median(accDiff));
    std::printf("\ngoal: training time ratio <= 0.90 with |accuracy difference| <= 0.5 pt (paper A: about 1%% less "
                "time at no loss)\n");
    return 0;
}

const CaseRegistration registration(
    "basis-train",
    {"skip training (basis convs for 30% of epochs) vs baseline: time ratio and accuracy difference", runBasisTrain});

} // namespace
} // namespace ranklab::bench
