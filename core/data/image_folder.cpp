#include "core/data/image_folder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QtConcurrent/QtConcurrentMap>

#include "core/data/transforms.h"
#include "core/error.h"

namespace ranklab::data {
namespace {

struct Sample {
    QString path;
    int64_t label = 0;
};

/// While image files are decoded, libpng's own error lines ("libpng error: …"), which it prints straight to
/// stderr because Qt installs no error callback for it, are discarded: a file that cannot be decoded is
/// reported once, as the sentence naming it. RANKLAB_VERBOSE=1 keeps them. Restores stderr on destruction
/// (also when an Error propagates). Process-wide while it lives: used only around the decoding phase.
class QuietDecoderStderr {
public:
    QuietDecoderStderr()
    {
        if (qEnvironmentVariableIntValue("RANKLAB_VERBOSE") > 0) // as silenceLibraryMessages() reads it
            return;
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        const int devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved_ < 0 || devNull < 0 || ::dup2(devNull, STDERR_FILENO) < 0) {
            if (devNull >= 0)
                ::close(devNull);
            restore();
            return;
        }
        ::close(devNull);
    }
    ~QuietDecoderStderr() { restore(); }
    QuietDecoderStderr(const QuietDecoderStderr&) = delete;
    QuietDecoderStderr& operator=(const QuietDecoderStderr&) = delete;

private:
    void restore()
    {
        if (saved_ < 0)
            return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    int saved_ = -1;
};

/// Sub-folder names of `dir`, sorted by code point (the order torchvision's ImageFolder uses too).
QStringList sortedSubFolders(const QString& dir)
{
    QStringList names = QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::NoSort);
    std::sort(names.begin(), names.end());
    return names;
}

/// Image files of one class folder, sorted by name.
QStringList sortedImageFiles(const QString& dir)
{
    QStringList names = QDir(dir).entryList(imageFileFilters(), QDir::Files, QDir::NoSort);
    std::sort(names.begin(), names.end());
    QStringList paths;
    for (const QString& name : names)
        paths.append(QDir(dir).filePath(name));
    return paths;
}

QImage readImage(const QString& path)
{
    QImageReader reader(path);
    QImage image = reader.read();
    if (image.isNull())
        throw Error(QStringLiteral("ImageFolder image %1 cannot be read: %2.").arg(path, reader.errorString()));
    return image;
}

/// Per-class sample lists of a <class>/* tree; classes not in `classNames` are an error.
std::vector<std::vector<QString>> listClasses(const QString& root, const QStringList& classNames,
                                              bool requireImages)
{
    std::vector<std::vector<QString>> files(static_cast<size_t>(classNames.size()));
    for (const QString& name : sortedSubFolders(root)) {
        const qsizetype label = classNames.indexOf(name);
        const QString folder = QDir(root).filePath(name);
        if (label < 0)
            throw Error(QStringLiteral("ImageFolder class folder %1 is not one of the training classes.")
                            .arg(folder));
        for (const QString& path : sortedImageFiles(folder))
            files[static_cast<size_t>(label)].push_back(path);
    }
    if (requireImages) {
        for (qsizetype c = 0; c < classNames.size(); ++c)
            if (files[static_cast<size_t>(c)].empty())
                throw Error(QStringLiteral("ImageFolder class folder %1 holds no images.")
                                .arg(QDir(root).filePath(classNames[c])));
    }
    return files;
}

std::vector<Sample> flatten(const std::vector<std::vector<QString>>& files)
{
    std::vector<Sample> samples;
    for (size_t c = 0; c < files.size(); ++c)
        for (const QString& path : files[c])
            samples.push_back({path, static_cast<int64_t>(c)});
    return samples;
}

/// Decodes every sample into an RGB uint8 N × 3 × H × W tensor (images scaled to `size`), in parallel;
/// `gray[i]` tells whether image i has R = G = B everywhere.
torch::Tensor decodeAll(const std::vector<Sample>& samples, const QSize& size, std::vector<char>& gray)
{
    const int64_t n = static_cast<int64_t>(samples.size());
    const int64_t h = size.height(), w = size.width();
    torch::Tensor images = torch::empty({n, 3, h, w}, torch::kUInt8);
    uint8_t* base = images.data_ptr<uint8_t>();
    gray.assign(samples.size(), 1);
    std::vector<QString> errors(samples.size());
    std::vector<int64_t> indices(samples.size());
    for (int64_t i = 0; i < n; ++i)
        indices[static_cast<size_t>(i)] = i;

    QtConcurrent::blockingMap(indices, [&](int64_t i) {
        const auto at = static_cast<size_t>(i);
        try {
            QImage image = readImage(samples[at].path);
            if (image.size() != size)
                image = image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            image = image.convertToFormat(QImage::Format_RGB888);
            uint8_t* red = base + i * 3 * h * w;
            uint8_t* green = red + h * w;
            uint8_t* blue = green + h * w;
            bool allGray = true;
            for (int64_t y = 0; y < h; ++y) {
                const uchar* line = image.constScanLine(static_cast<int>(y));
                for (int64_t x = 0; x < w; ++x) {
                    const uchar r = line[3 * x], g = line[3 * x + 1], b = line[3 * x + 2];
                    red[y * w + x] = r;
                    green[y * w + x] = g;
                    blue[y * w + x] = b;
                    allGray = allGray && r == g && g == b;
                }
            }
            gray[at] = allGray ? 1 : 0;
        } catch (const Error& error) {
            errors[at] = QString::fromUtf8(error.what());
        }
    });
    for (const QString& error : errors)
        if (!error.isEmpty())
            throw Error(error);
    return images;
}

TensorDataset makeSplit(const std::vector<Sample>& samples, const QSize& size, const QStringList& classNames,
                        bool& allGray)
{
    std::vector<char> gray;
    TensorDataset split;
    split.images = decodeAll(samples, size, gray);
    std::vector<int64_t> labels;
    for (const Sample& sample : samples)
        labels.push_back(sample.label);
    split.labels = torch::tensor(labels, torch::kLong);
    split.classNames = classNames;
    for (const char g : gray)
        allGray = allGray && g != 0;
    return split;
}

} // namespace

QStringList imageFileFilters()
{
    QStringList filters;
    for (const QByteArray& suffix : QImageReader::supportedImageFormats())
        filters.append(QStringLiteral("*.") + QString::fromLatin1(suffix));
    return filters;
}

ImageFolderSplits readImageFolder(const QString& dir, double testFraction, uint64_t seed)
{
    const QFileInfo info(dir);
    if (!info.exists())
        throw Error(QStringLiteral("ImageFolder %1 does not exist.").arg(dir));
    if (!info.isDir())
        throw Error(QStringLiteral("ImageFolder %1 is not a folder.").arg(dir));
    const QDir root(dir);
    const QString trainDir = root.filePath(QStringLiteral("train"));
    const QString testDir = root.filePath(QStringLiteral("test"));
    const bool presplit = QFileInfo(trainDir).isDir() && QFileInfo(testDir).isDir();

    const QString classRoot = presplit ? trainDir : dir;
    const QStringList classNames = sortedSubFolders(classRoot);
    if (classNames.isEmpty())
        throw Error(QStringLiteral("ImageFolder %1 has no class sub-folders (expected %1/<class>/<image>).")
                        .arg(classRoot));

    std::vector<Sample> trainSamples, testSamples;
    if (presplit) {
        trainSamples = flatten(listClasses(trainDir, classNames, true));
        testSamples = flatten(listClasses(testDir, classNames, false));
    } else {
        if (!(testFraction >= 0.0 && testFraction < 1.0))
            throw Error(QStringLiteral("The test fraction of ImageFolder %1 must be in [0, 1), not %2.")
                            .arg(dir)
                            .arg(testFraction));
        const auto files = listClasses(dir, classNames, true);
        for (size_t c = 0; c < files.size(); ++c) {
            const auto count = static_cast<int64_t>(files[c].size());
            // At least one image of each class stays in training.
            const int64_t testCount = std::min<int64_t>(std::llround(count * testFraction), count - 1);
            const std::vector<int64_t> perm = seededPermutation(count, mixSeed(seed, c));
            std::vector<char> isTest(files[c].size(), 0);
            for (int64_t k = 0; k < testCount; ++k)
                isTest[static_cast<size_t>(perm[static_cast<size_t>(k)])] = 1;
            for (size_t k = 0; k < files[c].size(); ++k)
                (isTest[k] ? testSamples : trainSamples).push_back({files[c][k], static_cast<int64_t>(c)});
        }
    }

    ImageFolderSplits splits;
    bool allGray = true;
    {
        const QuietDecoderStderr quiet;
        const QSize size = readImage(trainSamples.front().path).size();
        splits.train = makeSplit(trainSamples, size, classNames, allGray);
        splits.test = makeSplit(testSamples, size, classNames, allGray);
    }
    if (allGray) {
        splits.train.images = splits.train.images.narrow(1, 0, 1).contiguous();
        splits.test.images = splits.test.images.narrow(1, 0, 1).contiguous();
    }
    return splits;
}

} // namespace ranklab::data
