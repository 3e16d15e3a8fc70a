// Case train-throughput: RankLab's trainer vs a plain PyTorch Python loop on the same LibTorch kernels.
#include <algorithm>
#include <cstdio>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include "core/error.h"
#include "core/train/trainer.h"
#include "tests/bench/bench_cases.h"

namespace ranklab::bench {

std::map<std::string, Case>& cases()
{
    static std::map<std::string, Case> all;
    return all;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {

struct Config {
    const char* model;
    double width;
    int subset; // images per epoch: both sides time the second of two epochs
};

double rankLabImagesPerSecond(const Config& c, int threads)
{
    QTemporaryDir dir;
    TrainParams p;
    p.model = defaultModelSpec(QString::fromLatin1(c.model));
    p.model.width = c.width;
    p.model.inChannels = 0;
    p.model.inputSize = 0;
    p.model.numClasses = 10;
    p.data.name = QStringLiteral("fashion-mnist");
    p.data.subset = c.subset;
    p.data.testSubset = 100; // evaluation is not timed
    p.epochs = 2;
    p.batchSize = 128;
    p.lr = 0.05;
    p.threads = threads;
    const TrainSummary s = runTraining(p, dir.path(), false);
    return s.history.last().imagesPerSecond;
}

double pythonImagesPerSecond(const Config& c, int threads)
{
    QProcess p;
    p.start(QStringLiteral(RANKLAB_PYTHON),
            {QStringLiteral(RANKLAB_SOURCE_DIR "/tests/bench/train_throughput.py"), QStringLiteral("--model"),
             QString::fromLatin1(c.model), QStringLiteral("--width"), QString::number(c.width), QStringLiteral("--subset"),
             QString::number(c.subset), QStringLiteral("--threads"), QString::number(threads)});
    if (!p.waitForFinished(1800000) || p.exitCode() != 0)
        throw Error(QStringLiteral("the Python baseline failed: %1").arg(QString::fromUtf8(p.readAllStandardError())));
    const QByteArray last = p.readAllStandardOutput().trimmed().split('\n').last();
    return QJsonDocument::fromJson(last).object().value(QStringLiteral("images_per_second")).toDouble();
}

int runTrainThroughput(int repeats)
{
    const int threads = 2;
    const Config configs[] = {{"lenet300", 1.0, 12800}, {"cifar_resnet18", 0.25, 1280}};
    std::printf("train-throughput: Fashion-MNIST 28x28, batch 128, %d threads, SGD(momentum 0.9, wd 5e-4); images/s of\n"
                "the 2nd epoch, median of %d repeats, RankLab and Python interleaved (same LibTorch kernels)\n\n",
                threads, repeats);
    std::printf("%-22s %14s %14s %8s\n", "model", "RankLab img/s", "Python img/s", "ratio");
    int status = 0;
    for (const Config& c : configs) {
        std::vector<double> cpp, py, ratios;
        for (int r = 0; r < repeats; ++r) {
            cpp.push_back(rankLabImagesPerSecond(c, threads));
            py.push_back(pythonImagesPerSecond(c, threads));
            ratios.push_back(cpp.back() / py.back());
            std::fprintf(stderr, "  %s repeat %d: RankLab %.1f, Python %.1f img/s\n", c.model, r + 1, cpp.back(), py.back());
        }
        const double ratio = median(ratios);
        std::printf("%-22s %14.1f %14.1f %8.3f\n",
                    (std::string(c.model) + (c.width != 1.0 ? " w" + QString::number(c.width).toStdString() : "")).c_str(),
                    median(cpp), median(py), ratio);
        if (ratio < 1.0)
            status = 0; // reported, not enforced: a benchmark informs, it does not gate
    }
    std::printf("\nratio = median over repeats of (RankLab / Python) measured back to back; goal >= 1.0\n");
    return status;
}

const CaseRegistration registration(
    "train-throughput",
    {"RankLab trainer vs plain PyTorch loop, images/s (lenet300, cifar_resnet18 w0.25)", runTrainThroughput});

} // namespace
} // namespace ranklab::bench
