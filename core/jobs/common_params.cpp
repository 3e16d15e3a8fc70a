#include "core/jobs/common_params.h"

#include <QLocale>

#include "core/error.h"
#include "core/printable_text.h"
#include "core/train/train_session.h"

namespace ranklab {

namespace {
const QString kModel = QStringLiteral("model");
const QString kData = QStringLiteral("data");
const QString kTraining = QStringLiteral("training");
const QString kOutput = QStringLiteral("output");

QString numberText(double v)
{
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QString listText(const QVector<double>& v)
{
    QStringList parts;
    for (double x : v)
        parts << numberText(x);
    return parts.join(QLatin1Char(','));
}
} // namespace

void addModelParams(ParamSchema& schema, bool sizeFromData)
{
    schema.choice(QStringLiteral("model"), zooModelNames(), QStringLiteral("zoo architecture: ") + zooModelNames().join(QStringLiteral(", ")), {},
                  kModel)
        .shownAs(QStringLiteral("NAME"))
        .noun(QStringLiteral("model"))
        .req()
        .integer(QStringLiteral("num-classes"), QStringLiteral("N"),
                 sizeFromData ? QStringLiteral("number of classes (default: 10)") : QStringLiteral("number of classes (default: the architecture's)"),
                 {}, 1, 100000, kModel)
        .integer(QStringLiteral("in-channels"), QStringLiteral("C"),
                 sizeFromData ? QStringLiteral("input channels; 3 on grayscale data replicates it (default: the data's)")
                              : QStringLiteral("input channels (default: the architecture's)"),
                 {}, 1, 64, kModel)
        .integer(QStringLiteral("input-size"), QStringLiteral("H"),
                 sizeFromData ? QStringLiteral("input height = width; other than the data's, images are resized (default: the data's)")
                              : QStringLiteral("input height = width (default: the architecture's)"),
                 {}, 1, 4096, kModel)
        .number(QStringLiteral("width"), QStringLiteral("W"), QStringLiteral("width multiplier of channels and hidden sizes"),
                QStringLiteral("1"), 1e-3, 64, kModel)
        .text(QStringLiteral("device"), QStringLiteral("DEVICE"),
              QStringLiteral("where the model computes: cpu, or cuda / cuda:N (needs RankLab built against a CUDA LibTorch; README: Larger machines)"),
              QStringLiteral("cpu"), kModel);
}

ModelSpec modelSpecFrom(const Params& params, bool sizeFromData)
{
    params.required(QStringLiteral("model"));
    const QString name = params.choice(QStringLiteral("model")); // "unknown model 'x'; known models: …"
    ModelSpec spec = defaultModelSpec(name);
    if (sizeFromData) {
        spec.numClasses = 10;
        spec.inChannels = 0;
        spec.inputSize = 0;
    }
    if (params.isSet(QStringLiteral("num-classes")))
        spec.numClasses = params.intValue(QStringLiteral("num-classes"));
    if (params.isSet(QStringLiteral("in-channels")))
        spec.inChannels = params.intValue(QStringLiteral("in-channels"));
    if (params.isSet(QStringLiteral("input-size")))
        spec.inputSize = params.intValue(QStringLiteral("input-size"));
    spec.width = params.doubleValue(QStringLiteral("width"));
    return spec;
}

void setModelParams(Params& params, const ModelSpec& spec)
{
    params.set(QStringLiteral("model"), spec.name);
    params.set(QStringLiteral("num-classes"), QString::number(spec.numClasses));
    if (spec.inChannels > 0)
        params.set(QStringLiteral("in-channels"), QString::number(spec.inChannels));
    if (spec.inputSize > 0)
        params.set(QStringLiteral("input-size"), QString::number(spec.inputSize));
    params.set(QStringLiteral("width"), numberText(spec.width));
}

QStringList datasetNames()
{
    return {QStringLiteral("fashion-mnist"), QStringLiteral("mnist"), QStringLiteral("cifar10"), QStringLiteral("imagefolder")};
}

int datasetChannels(const QString& name)
{
    if (name == QLatin1String("cifar10"))
        return 3;
    if (name == QLatin1String("fashion-mnist") || name == QLatin1String("mnist"))
        return 1;
    return 0;
}

int datasetImageSize(const QString& name)
{
    if (name == QLatin1String("cifar10"))
        return 32;
    if (name == QLatin1String("fashion-mnist") || name == QLatin1String("mnist"))
        return 28;
    return 0;
}

void addDataParams(ParamSchema& schema)
{
    schema.choice(QStringLiteral("dataset"), datasetNames(), QStringLiteral("fashion-mnist, mnist, cifar10 or imagefolder"),
                  QStringLiteral("fashion-mnist"), kData)
        .typed(ParamType::Dir, QStringLiteral("data-dir"), QStringLiteral("DIR"),
               QStringLiteral("where the data set lives (Fashion-MNIST: Debian's dataset-fashion-mnist)"), {}, kData)
        .integer(QStringLiteral("subset"), QStringLiteral("N"), QStringLiteral("seeded, class-stratified subset of N training images (0: all)"),
                 QStringLiteral("0"), 0, 100000000, kData)
        .integer(QStringLiteral("test-subset"), QStringLiteral("N"), QStringLiteral("seeded, class-stratified subset of N test images (0: all)"),
                 QStringLiteral("0"), 0, 100000000, kData)
        .integer(QStringLiteral("val-subset"), QStringLiteral("N"),
                 QStringLiteral("hold N training images out as a validation split (seeded, class-stratified): sweeps choose on it, the "
                                "test split only reports (0: none)"),
                 QStringLiteral("0"), 0, 100000000, kData)
        .typed(ParamType::DoubleList, QStringLiteral("mean"), QStringLiteral("m1,m2,.."),
               QStringLiteral("per-channel mean in [0,1] units (default: the training set's)"), {}, kData)
        .typed(ParamType::DoubleList, QStringLiteral("std"), QStringLiteral("s1,s2,.."),
               QStringLiteral("per-channel std in [0,1] units (default: the training set's)"), {}, kData)
        .integer(QStringLiteral("resize"), QStringLiteral("H"), QStringLiteral("resize images to H×H once at load (0: native)"), QStringLiteral("0"), 0,
                 4096, kData);
    schema.choice(QStringLiteral("augment"), {QStringLiteral("on"), QStringLiteral("off")},
                  QStringLiteral("random crop with padding + horizontal flip for training (default: on for cifar10, off otherwise)"), {}, kData)
        .integer(QStringLiteral("crop-padding"), QStringLiteral("P"), QStringLiteral("zero padding of the random crop"), QStringLiteral("4"), 0, 64,
                 kData);
}

DataSpec dataSpecFrom(const Params& params)
{
    DataSpec data;
    data.name = params.choice(QStringLiteral("dataset"));
    data.dir = params.value(QStringLiteral("data-dir"));
    data.subset = params.intValue(QStringLiteral("subset"));
    data.testSubset = params.intValue(QStringLiteral("test-subset"));
    data.valSubset = params.intValue(QStringLiteral("val-subset"));
    data.mean = params.doubleList(QStringLiteral("mean"));
    data.std = params.doubleList(QStringLiteral("std"));
    if (data.mean.isEmpty() != data.std.isEmpty())
        throw OptionError(QStringLiteral("--mean and --std go together."));
    data.resize = params.intValue(QStringLiteral("resize"));
    data.augment = data.name == QLatin1String("cifar10");
    if (params.isSet(QStringLiteral("augment")))
        data.augment = params.choice(QStringLiteral("augment")) == QLatin1String("on");
    data.cropPadding = params.intValue(QStringLiteral("crop-padding"));
    return data;
}

void setDataParams(Params& params, const DataSpec& data)
{
    params.set(QStringLiteral("dataset"), data.name);
    if (!data.dir.isEmpty())
        params.set(QStringLiteral("data-dir"), data.dir);
    params.set(QStringLiteral("subset"), QString::number(data.subset));
    params.set(QStringLiteral("test-subset"), QString::number(data.testSubset));
    if (data.valSubset > 0)
        params.set(QStringLiteral("val-subset"), QString::number(data.valSubset));
    if (!data.mean.isEmpty()) {
        params.set(QStringLiteral("mean"), listText(data.mean));
        params.set(QStringLiteral("std"), listText(data.std));
    }
    params.set(QStringLiteral("resize"), QString::number(data.resize));
    params.set(QStringLiteral("augment"), data.augment ? QStringLiteral("on") : QStringLiteral("off"));
    params.set(QStringLiteral("crop-padding"), QString::number(data.cropPadding));
}

void addTrainerParams(ParamSchema& schema)
{
    schema.integer(QStringLiteral("epochs"), QStringLiteral("E"), QStringLiteral("training epochs"), QStringLiteral("10"), 1, 100000, kTraining)
        .integer(QStringLiteral("batch-size"), QStringLiteral("B"), QStringLiteral("training batch size"), QStringLiteral("128"), 1, 1 << 20, kTraining)
        .number(QStringLiteral("lr"), QStringLiteral("LR"), QStringLiteral("initial learning rate"), QStringLiteral("0.1"), 1e-12, 1e6, kTraining)
        .number(QStringLiteral("momentum"), QStringLiteral("M"), QStringLiteral("SGD momentum"), QStringLiteral("0.9"), 0, 1, kTraining)
        .openEnds(false, true)
        .number(QStringLiteral("weight-decay"), QStringLiteral("WD"), QStringLiteral("L2 weight decay"), QStringLiteral("5e-4"), 0, 1e3, kTraining)
        .choice(QStringLiteral("schedule"), {QStringLiteral("cosine"), QStringLiteral("constant")},
                QStringLiteral("cosine (T_max = epochs) or constant"), QStringLiteral("cosine"), kTraining)
        .typed(ParamType::UInt64, QStringLiteral("seed"), QStringLiteral("S"),
               QStringLiteral("seed of initialisation, data order, augmentation and subsets"), QStringLiteral("0"), kTraining)
        .flag(QStringLiteral("deterministic"), QStringLiteral("use deterministic algorithms only"), kTraining)
        .integer(QStringLiteral("threads"), QStringLiteral("T"), QStringLiteral("intra-op threads (0: all cores)"), QStringLiteral("0"), 0, 1024, kTraining)
        .typed(ParamType::File, QStringLiteral("init-weights"), QStringLiteral("FILE"),
               QStringLiteral("start from these weights (RankLab, PyTorch state dict or TorchScript)"), {}, kTraining)
        .flag(QStringLiteral("resume"), QStringLiteral("continue the run in --out from its last finished epoch"), kOutput)
        .typed(ParamType::Dir, QStringLiteral("out"), QStringLiteral("DIR"),
               QStringLiteral("run folder (job.json, params.json, metrics.csv, checkpoints, summary.json)"), {}, kOutput)
        .req();
    addOutputParams(schema);
}

TrainParams trainParamsFrom(const Params& params)
{
    TrainParams p;
    p.model = modelSpecFrom(params, true);
    p.data = dataSpecFrom(params);
    p.epochs = params.intValue(QStringLiteral("epochs"));
    p.batchSize = params.intValue(QStringLiteral("batch-size"));
    p.lr = params.doubleValue(QStringLiteral("lr"));
    p.momentum = params.doubleValue(QStringLiteral("momentum"));
    p.weightDecay = params.doubleValue(QStringLiteral("weight-decay"));
    p.schedule = params.choice(QStringLiteral("schedule"));
    p.seed = params.uint64Value(QStringLiteral("seed"));
    p.data.seed = p.seed;
    p.deterministic = params.flag(QStringLiteral("deterministic"));
    p.threads = params.intValue(QStringLiteral("threads"));
    p.initWeights = params.value(QStringLiteral("init-weights"));
    train::adoptPrunedStart(p); // before a sweep plans its registry; TrainSession adopts it for every other path
    return p;
}

void setTrainParams(Params& params, const TrainParams& train)
{
    setModelParams(params, train.model);
    setDataParams(params, train.data);
    params.set(QStringLiteral("epochs"), QString::number(train.epochs));
    params.set(QStringLiteral("batch-size"), QString::number(train.batchSize));
    params.set(QStringLiteral("lr"), numberText(train.lr));
    params.set(QStringLiteral("momentum"), numberText(train.momentum));
    params.set(QStringLiteral("weight-decay"), numberText(train.weightDecay));
    params.set(QStringLiteral("schedule"), train.schedule);
    params.set(QStringLiteral("seed"), QString::number(train.seed));
    if (train.deterministic)
        params.set(QStringLiteral("deterministic"), QStringLiteral("1"));
    else
        params.unset(QStringLiteral("deterministic"));
    params.set(QStringLiteral("threads"), QString::number(train.threads));
    if (!train.initWeights.isEmpty())
        params.set(QStringLiteral("init-weights"), train.initWeights);
}

void addOutputParams(ParamSchema& schema, bool quiet)
{
    if (quiet)
        schema.flag(QStringLiteral("quiet"), QStringLiteral("no progress on stderr"), kOutput).presentationOnly();
    schema.flag(QStringLiteral("json"), QStringLiteral("print the summary as JSON on the last stdout line"), kOutput).presentationOnly();
}

} // namespace ranklab
