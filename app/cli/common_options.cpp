#include "app/cli/common_options.h"

#include <cstdio>
#include <unistd.h>

#include <QJsonDocument>
#include <QThread>

namespace ranklab::cli {

void addModelOptions(ArgParser& parser, bool sizeFromData)
{
    parser.add({QStringLiteral("model"), QStringLiteral("NAME"), QStringLiteral("zoo architecture: ") + zooModelNames().join(QStringLiteral(", ")), {}})
        .add({QStringLiteral("num-classes"), QStringLiteral("N"), sizeFromData ? QStringLiteral("number of classes (default: 10)") : QStringLiteral("number of classes (default: the architecture's)"), {}})
        .add({QStringLiteral("in-channels"), QStringLiteral("C"), sizeFromData ? QStringLiteral("input channels; 3 on grayscale data replicates it (default: the data's)") : QStringLiteral("input channels (default: the architecture's)"), {}})
        .add({QStringLiteral("input-size"), QStringLiteral("H"), sizeFromData ? QStringLiteral("input height = width; other than the data's, images are resized (default: the data's)") : QStringLiteral("input height = width (default: the architecture's)"), {}})
        .add({QStringLiteral("width"), QStringLiteral("W"), QStringLiteral("width multiplier of channels and hidden sizes"), QStringLiteral("1")});
}

ModelSpec modelSpecFrom(const ArgParser& parser, bool sizeFromData)
{
    const QString name = parser.required(QStringLiteral("model"));
    if (!zooModelNames().contains(name))
        throw UsageError(QStringLiteral("unknown model '%1'; known models: %2.").arg(name, zooModelNames().join(QStringLiteral(", "))));
    ModelSpec spec = defaultModelSpec(name);
    if (sizeFromData) {
        spec.numClasses = 10;
        spec.inChannels = 0;
        spec.inputSize = 0;
    }
    if (parser.isSet(QStringLiteral("num-classes")))
        spec.numClasses = parser.intValue(QStringLiteral("num-classes"), 1, 100000);
    if (parser.isSet(QStringLiteral("in-channels")))
        spec.inChannels = parser.intValue(QStringLiteral("in-channels"), 1, 64);
    if (parser.isSet(QStringLiteral("input-size")))
        spec.inputSize = parser.intValue(QStringLiteral("input-size"), 1, 4096);
    spec.width = parser.doubleValue(QStringLiteral("width"), 1e-3, 64);
    return spec;
}

void addDataOptions(ArgParser& parser)
{
    parser.add({QStringLiteral("dataset"), QStringLiteral("NAME"), QStringLiteral("fashion-mnist, mnist, cifar10 or imagefolder"), QStringLiteral("fashion-mnist")})
        .add({QStringLiteral("data-dir"), QStringLiteral("DIR"), QStringLiteral("where the data set lives (Fashion-MNIST: Debian's dataset-fashion-mnist)"), {}})
        .add({QStringLiteral("subset"), QStringLiteral("N"), QStringLiteral("seeded, class-stratified subset of N training images (0: all)"), QStringLiteral("0")})
        .add({QStringLiteral("test-subset"), QStringLiteral("N"), QStringLiteral("seeded, class-stratified subset of N test images (0: all)"), QStringLiteral("0")})
        .add({QStringLiteral("mean"), QStringLiteral("m1,m2,.."), QStringLiteral("per-channel mean in [0,1] units (default: the training set's)"), {}})
        .add({QStringLiteral("std"), QStringLiteral("s1,s2,.."), QStringLiteral("per-channel std in [0,1] units (default: the training set's)"), {}})
        .add({QStringLiteral("resize"), QStringLiteral("H"), QStringLiteral("resize images to H×H once at load (0: native)"), QStringLiteral("0")})
        .add({QStringLiteral("augment"), QStringLiteral("on|off"), QStringLiteral("random crop with padding + horizontal flip for training (default: on for cifar10, off otherwise)"), {}})
        .add({QStringLiteral("crop-padding"), QStringLiteral("P"), QStringLiteral("zero padding of the random crop"), QStringLiteral("4")});
}

DataSpec dataSpecFrom(const ArgParser& parser)
{
    DataSpec data;
    data.name = parser.choice(QStringLiteral("dataset"), {QStringLiteral("fashion-mnist"), QStringLiteral("mnist"), QStringLiteral("cifar10"), QStringLiteral("imagefolder")});
    data.dir = parser.value(QStringLiteral("data-dir"));
    data.subset = parser.intValue(QStringLiteral("subset"), 0, 100000000);
    data.testSubset = parser.intValue(QStringLiteral("test-subset"), 0, 100000000);
    data.mean = parser.doubleList(QStringLiteral("mean"));
    data.std = parser.doubleList(QStringLiteral("std"));
    if (data.mean.isEmpty() != data.std.isEmpty())
        throw UsageError(QStringLiteral("--mean and --std go together."));
    data.resize = parser.intValue(QStringLiteral("resize"), 0, 4096);
    data.augment = data.name == QLatin1String("cifar10");
    if (parser.isSet(QStringLiteral("augment")))
        data.augment = parser.choice(QStringLiteral("augment"), {QStringLiteral("on"), QStringLiteral("off")}) == QLatin1String("on");
    data.cropPadding = parser.intValue(QStringLiteral("crop-padding"), 0, 64);
    return data;
}

void addTrainerOptions(ArgParser& parser)
{
    parser.add({QStringLiteral("epochs"), QStringLiteral("E"), QStringLiteral("training epochs"), QStringLiteral("10")})
        .add({QStringLiteral("batch-size"), QStringLiteral("B"), QStringLiteral("training batch size"), QStringLiteral("128")})
        .add({QStringLiteral("lr"), QStringLiteral("LR"), QStringLiteral("initial learning rate"), QStringLiteral("0.1")})
        .add({QStringLiteral("momentum"), QStringLiteral("M"), QStringLiteral("SGD momentum"), QStringLiteral("0.9")})
        .add({QStringLiteral("weight-decay"), QStringLiteral("WD"), QStringLiteral("L2 weight decay"), QStringLiteral("5e-4")})
        .add({QStringLiteral("schedule"), QStringLiteral("S"), QStringLiteral("cosine (T_max = epochs) or constant"), QStringLiteral("cosine")})
        .add({QStringLiteral("seed"), QStringLiteral("S"), QStringLiteral("seed of initialisation, data order, augmentation and subsets"), QStringLiteral("0")})
        .add({QStringLiteral("deterministic"), {}, QStringLiteral("use deterministic algorithms only"), {}})
        .add({QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0")})
        .add({QStringLiteral("init-weights"), QStringLiteral("FILE"), QStringLiteral("start from these weights (RankLab, PyTorch state dict or TorchScript)"), {}})
        .add({QStringLiteral("resume"), {}, QStringLiteral("continue the run in --out from its last finished epoch"), {}})
        .add({QStringLiteral("out"), QStringLiteral("DIR"), QStringLiteral("run folder (params.json, metrics.csv, checkpoints, summary.json)"), {}})
        .add({QStringLiteral("quiet"), {}, QStringLiteral("no progress on stderr"), {}})
        .add({QStringLiteral("json"), {}, QStringLiteral("print the summary as JSON on the last stdout line"), {}});
}

TrainParams trainParamsFrom(const ArgParser& parser)
{
    TrainParams p;
    p.model = modelSpecFrom(parser, true);
    p.data = dataSpecFrom(parser);
    p.epochs = parser.intValue(QStringLiteral("epochs"), 1, 100000);
    p.batchSize = parser.intValue(QStringLiteral("batch-size"), 1, 1 << 20);
    p.lr = parser.doubleValue(QStringLiteral("lr"), 1e-12, 1e6);
    p.momentum = parser.doubleValue(QStringLiteral("momentum"), 0, 0.999999);
    p.weightDecay = parser.doubleValue(QStringLiteral("weight-decay"), 0, 1e3);
    p.schedule = parser.choice(QStringLiteral("schedule"), {QStringLiteral("cosine"), QStringLiteral("constant")});
    p.seed = parser.uint64Value(QStringLiteral("seed"));
    p.data.seed = p.seed;
    p.deterministic = parser.isSet(QStringLiteral("deterministic"));
    p.threads = parser.intValue(QStringLiteral("threads"), 0, 1024);
    p.initWeights = parser.value(QStringLiteral("init-weights"));
    return p;
}

ProgressPrinter::ProgressPrinter(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}

QString formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("?");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

TrainCallbacks ProgressPrinter::callbacks()
{
    TrainCallbacks cb;
    if (quiet_)
        return cb;
    cb.log = [this](const QString& line) {
        if (tty_)
            std::fputs("\r\033[K", stderr);
        std::fprintf(stderr, "%s\n", qPrintable(line));
        std::fflush(stderr);
    };
    cb.progress = [this](const TrainProgress& p) {
        const int percent = int(100 * p.fraction);
        const QString line = QStringLiteral("epoch %1/%2 %3 %4% batch %5/%6 loss %7 ETA %8")
                                 .arg(p.epoch)
                                 .arg(p.epochs)
                                 .arg(p.phase.isEmpty() ? QString() : QLatin1Char('[') + p.phase + QLatin1Char(']'))
                                 .arg(percent)
                                 .arg(p.step)
                                 .arg(p.stepsPerEpoch)
                                 .arg(p.batchLoss, 0, 'f', 4)
                                 .arg(formatDuration(p.etaSeconds));
        if (tty_) {
            std::fprintf(stderr, "\r\033[K%s", qPrintable(line));
            std::fflush(stderr);
        } else if (percent / 10 != lastDecile_) {
            lastDecile_ = percent / 10;
            std::fprintf(stderr, "%s\n", qPrintable(line));
        }
    };
    return cb;
}

void printJsonLine(const QJsonObject& object)
{
    std::fprintf(stdout, "%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

} // namespace ranklab::cli
