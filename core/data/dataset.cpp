#include "core/data/dataset.h"

#include <vector>

#include <QDir>
#include <QFileInfo>

#include "core/data/cifar_reader.h"
#include "core/data/idx_reader.h"
#include "core/data/image_folder.h"
#include "core/data/transforms.h"
#include "core/error.h"

namespace ranklab::data {
namespace {

const QString kFashionMnistDefaultDir = QStringLiteral("/usr/share/datasets/fashion-mnist");

/// Seed streams derived from DataSpec::seed (transforms.h mixSeed).
enum SeedStream : uint64_t { TrainSubsetStream = 1, TestSubsetStream = 2, FolderSplitStream = 3, ValSplitStream = 4 };

QStringList knownNames()
{
    return {QStringLiteral("fashion-mnist"), QStringLiteral("mnist"), QStringLiteral("cifar10"),
            QStringLiteral("imagefolder"), QStringLiteral("idx")};
}

QStringList fashionMnistClassNames()
{
    return {QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
            QStringLiteral("Dress"),       QStringLiteral("Coat"),    QStringLiteral("Sandal"),
            QStringLiteral("Shirt"),       QStringLiteral("Sneaker"), QStringLiteral("Bag"),
            QStringLiteral("Ankle boot")};
}

QStringList digitClassNames(int count)
{
    QStringList names;
    for (int c = 0; c < count; ++c)
        names.append(QString::number(c));
    return names;
}

/// What the canonical release of an IDX data set must contain; absent for a generic IDX folder.
struct IdxExpectation {
    QString title;          ///< "Fashion-MNIST"
    int64_t train = 0, test = 0;
    int height = 0, width = 0;
    int classes = 0;
    bool balanced = false;  ///< every class has count / classes samples in each split
};

void checkIdxSplit(const IdxSplit& split, int64_t expected, const IdxExpectation& e, const QString& path,
                   const QString& labelsPath)
{
    if (split.images.size(0) != expected)
        throw Error(QStringLiteral("%1 file %2 holds %3 images, but the %1 split holds %4.")
                        .arg(e.title, path)
                        .arg(split.images.size(0))
                        .arg(expected));
    if (split.images.size(2) != e.height || split.images.size(3) != e.width)
        throw Error(QStringLiteral("%1 file %2 holds %3×%4 images, but %1 images are %5×%6.")
                        .arg(e.title, path)
                        .arg(split.images.size(2))
                        .arg(split.images.size(3))
                        .arg(e.height)
                        .arg(e.width));
    const torch::Tensor counts = torch::bincount(split.labels, {}, e.classes);
    if (counts.size(0) != e.classes)
        throw Error(QStringLiteral("%1 file %2 has labels outside 0..%3.").arg(e.title, labelsPath).arg(e.classes - 1));
    if (e.balanced) {
        const int64_t each = expected / e.classes;
        if (!counts.eq(each).all().item<bool>())
            throw Error(QStringLiteral("%1 file %2 does not hold %3 samples of each of its %4 classes.")
                            .arg(e.title, path)
                            .arg(each)
                            .arg(e.classes));
    }
}

TensorDataset toDataset(IdxSplit split, const QStringList& classNames)
{
    TensorDataset out;
    out.images = std::move(split.images);
    out.labels = std::move(split.labels);
    out.classNames = classNames;
    return out;
}

/// Reads train-/t10k- images and labels from an IDX folder; checks the canonical counts if given.
DatasetSplits readIdxFolder(const QString& dir, const IdxExpectation* expect, const QStringList& classNames)
{
    const QString trainImages = findIdxFile(dir, QStringLiteral("train-images-idx3-ubyte"));
    const QString trainLabels = findIdxFile(dir, QStringLiteral("train-labels-idx1-ubyte"));
    const QString testImages = findIdxFile(dir, QStringLiteral("t10k-images-idx3-ubyte"));
    const QString testLabels = findIdxFile(dir, QStringLiteral("t10k-labels-idx1-ubyte"));
    IdxSplit train = readIdxSplit(trainImages, trainLabels);
    IdxSplit test = readIdxSplit(testImages, testLabels);
    if (train.images.size(2) != test.images.size(2) || train.images.size(3) != test.images.size(3))
        throw Error(QStringLiteral("IDX files %1 and %2 hold images of different sizes.")
                        .arg(trainImages, testImages));

    QStringList names = classNames;
    if (expect != nullptr) {
        checkIdxSplit(train, expect->train, *expect, trainImages, trainLabels);
        checkIdxSplit(test, expect->test, *expect, testImages, testLabels);
    } else {
        int64_t largest = train.labels.numel() > 0 ? train.labels.max().item<int64_t>() : 0;
        if (test.labels.numel() > 0)
            largest = std::max(largest, test.labels.max().item<int64_t>());
        names = digitClassNames(static_cast<int>(largest) + 1);
    }
    DatasetSplits splits;
    splits.train = toDataset(std::move(train), names);
    splits.test = toDataset(std::move(test), names);
    return splits;
}

QString requireDir(const DataSpec& spec, const QString& title)
{
    if (spec.dir.isEmpty())
        throw Error(QStringLiteral("The %1 data set needs a folder (it has no default location).").arg(title));
    const QFileInfo info(spec.dir);
    if (!info.exists())
        throw Error(QStringLiteral("The %1 folder %2 does not exist.").arg(title, spec.dir));
    if (!info.isDir())
        throw Error(QStringLiteral("The %1 folder %2 is not a folder.").arg(title, spec.dir));
    return spec.dir;
}

DatasetSplits readSplits(const DataSpec& spec, const QString& name)
{
    if (name == QLatin1String("fashion-mnist")) {
        const QString dir = spec.dir.isEmpty() ? kFashionMnistDefaultDir : spec.dir;
        if (!QFileInfo(dir).isDir())
            throw Error(QStringLiteral("The Fashion-MNIST folder %1 does not exist.").arg(dir));
        const IdxExpectation expect{QStringLiteral("Fashion-MNIST"), 60000, 10000, 28, 28, 10, true};
        return readIdxFolder(dir, &expect, fashionMnistClassNames());
    }
    if (name == QLatin1String("mnist")) {
        const IdxExpectation expect{QStringLiteral("MNIST"), 60000, 10000, 28, 28, 10, false};
        return readIdxFolder(requireDir(spec, QStringLiteral("MNIST")), &expect, digitClassNames(10));
    }
    if (name == QLatin1String("idx"))
        return readIdxFolder(requireDir(spec, QStringLiteral("IDX")), nullptr, {});
    if (name == QLatin1String("cifar10")) {
        CifarSplits cifar = readCifar10(requireDir(spec, QStringLiteral("CIFAR-10")));
        DatasetSplits splits;
        splits.train = std::move(cifar.train);
        splits.test = std::move(cifar.test);
        return splits;
    }
    if (name == QLatin1String("imagefolder")) {
        if (spec.dir.isEmpty())
            throw Error("The imagefolder data set needs a folder (it has no default location).");
        ImageFolderSplits folder =
            readImageFolder(spec.dir, spec.testFraction, mixSeed(spec.seed, FolderSplitStream));
        DatasetSplits splits;
        splits.train = std::move(folder.train);
        splits.test = std::move(folder.test);
        return splits;
    }
    throw Error(QStringLiteral("Unknown data set '%1'; known data sets: %2.")
                    .arg(spec.name, knownNames().join(QStringLiteral(", "))));
}

int resolveOutChannels(const DataSpec& spec, int native)
{
    if (spec.channels == 0 || spec.channels == native)
        return native;
    if (spec.channels == 3 && native == 1)
        return 3;
    throw Error(QStringLiteral("The data set has %1 channel(s) and cannot be given %2; only grayscale to 3 "
                               "channels is supported.")
                    .arg(native)
                    .arg(spec.channels));
}

void applySubset(TensorDataset& split, int n, uint64_t seed, const QString& what)
{
    if (n == 0)
        return;
    const torch::Tensor indices = stratifiedSubsetIndices(split.labels, split.classNames.size(), n, seed, what);
    split = selectSamples(split, indices);
}

/// Moves `n` class-stratified, seeded images of `train` into the returned validation split. Refuses a count
/// that would leave the training split empty or any class without a training or a validation image.
TensorDataset holdOutValidation(TensorDataset& train, int n, uint64_t seed)
{
    const int64_t total = train.size();
    const int64_t classes = train.classNames.size();
    if (n >= total)
        throw Error(QStringLiteral("The validation subset (%1 images) must be smaller than the training split it is carved "
                                   "from (%2 images).")
                        .arg(n)
                        .arg(total));
    if (n < classes)
        throw Error(QStringLiteral("A validation subset of %1 images cannot hold every one of the %2 classes; give at least %2.")
                        .arg(n)
                        .arg(classes));
    const torch::Tensor chosen = stratifiedSubsetIndices(train.labels, classes, n, seed, QStringLiteral("training split"));
    torch::Tensor keep = torch::ones({total}, torch::kBool);
    keep.index_fill_(0, chosen, false);
    const TensorDataset val = selectSamples(train, chosen);
    TensorDataset rest = selectSamples(train, keep.nonzero().flatten());
    const torch::Tensor trainCounts = torch::bincount(rest.labels, {}, classes);
    const torch::Tensor valCounts = torch::bincount(val.labels, {}, classes);
    for (int64_t c = 0; c < classes; ++c)
        if (trainCounts[c].item<int64_t>() == 0 || valCounts[c].item<int64_t>() == 0)
            throw Error(QStringLiteral("A validation subset of %1 images leaves class '%2' without %3 images; choose another size.")
                            .arg(n)
                            .arg(train.classNames.value(int(c)),
                                 trainCounts[c].item<int64_t>() == 0 ? QStringLiteral("training") : QStringLiteral("validation")));
    train = std::move(rest);
    return val;
}

} // namespace

DatasetSplits loadDataset(const DataSpec& spec)
{
    const QString name = spec.name.trimmed().toLower();
    if (spec.subset < 0 || spec.testSubset < 0 || spec.valSubset < 0)
        throw Error(QStringLiteral("A subset size cannot be negative (subset %1, test subset %2, validation subset %3).")
                        .arg(spec.subset)
                        .arg(spec.testSubset)
                        .arg(spec.valSubset));
    if (spec.resize < 0)
        throw Error(QStringLiteral("The resize size cannot be negative (%1).").arg(spec.resize));

    DatasetSplits splits = readSplits(spec, name);
    splits.name = name;
    applySubset(splits.train, spec.subset, mixSeed(spec.seed, TrainSubsetStream), QStringLiteral("training split"));
    applySubset(splits.test, spec.testSubset, mixSeed(spec.seed, TestSubsetStream), QStringLiteral("test split"));
    if (spec.valSubset > 0)
        splits.val = holdOutValidation(splits.train, spec.valSubset, mixSeed(spec.seed, ValSplitStream));
    // An empty split would train nothing or report an accuracy of 0 % measured on nothing.
    if (splits.train.size() == 0)
        throw Error(QStringLiteral("The training split of %1 holds no images.").arg(spec.dir.isEmpty() ? name : spec.dir));
    if (splits.test.size() == 0)
        throw Error(QStringLiteral("The test split of %1 holds no images; a test accuracy needs at least one.")
                        .arg(spec.dir.isEmpty() ? name : spec.dir));
    if (spec.resize > 0) {
        splits.train.images = resizeImages(splits.train.images, spec.resize);
        splits.test.images = resizeImages(splits.test.images, spec.resize);
        if (splits.val.size() > 0)
            splits.val.images = resizeImages(splits.val.images, spec.resize);
    }
    splits.outChannels = resolveOutChannels(spec, splits.train.channels());
    // Statistics only when some value is not given explicitly.
    Normalization stats;
    if (spec.mean.isEmpty() || spec.std.isEmpty())
        stats = channelStatistics(splits.train.images);
    splits.norm = resolveNormalization(spec, stats, splits.outChannels);
    return splits;
}

} // namespace ranklab::data
