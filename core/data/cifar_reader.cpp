#include "core/data/cifar_reader.h"

#include <vector>

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include "core/error.h"

namespace ranklab::data {
namespace {

constexpr int kTrainBatches = 5;

QString batchName(int k)
{
    return QStringLiteral("data_batch_%1.bin").arg(k);
}

/// Class names from batches.meta.txt (one per non-empty line) or the standard ten.
QStringList readClassNames(const QDir& folder)
{
    const QString path = folder.filePath(QStringLiteral("batches.meta.txt"));
    QFile file(path);
    if (!file.exists())
        return cifar10ClassNames();
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        throw Error(QStringLiteral("CIFAR-10 class list %1 cannot be read: %2.").arg(path, file.errorString()));
    QStringList names;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        const QString name = line.trimmed();
        if (!name.isEmpty())
            names.append(name);
    }
    if (names.isEmpty())
        throw Error(QStringLiteral("CIFAR-10 class list %1 names no classes.").arg(path));
    return names;
}

void checkLabels(const torch::Tensor& labels, int numClasses, const QString& path)
{
    if (labels.numel() == 0)
        return;
    const int64_t largest = labels.max().item<int64_t>();
    if (largest >= numClasses)
        throw Error(QStringLiteral("CIFAR-10 batch %1 has label %2, but there are only %3 classes.")
                        .arg(path)
                        .arg(largest)
                        .arg(numClasses));
}

void checkOfficialSize(const TensorDataset& batch, const QString& path)
{
    if (batch.size() != kCifarRecordsPerBatch)
        throw Error(QStringLiteral("CIFAR-10 batch %1 holds %2 records, but each batch of the official "
                                   "release holds %3.")
                        .arg(path)
                        .arg(batch.size())
                        .arg(kCifarRecordsPerBatch));
}

} // namespace

QStringList cifar10ClassNames()
{
    return {QStringLiteral("airplane"), QStringLiteral("automobile"), QStringLiteral("bird"),
            QStringLiteral("cat"),      QStringLiteral("deer"),       QStringLiteral("dog"),
            QStringLiteral("frog"),     QStringLiteral("horse"),      QStringLiteral("ship"),
            QStringLiteral("truck")};
}

TensorDataset readCifarBatch(const QString& path)
{
    QFile file(path);
    if (!file.exists())
        throw Error(QStringLiteral("CIFAR-10 batch %1 does not exist.").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("CIFAR-10 batch %1 cannot be opened: %2.").arg(path, file.errorString()));
    const int64_t bytes = file.size();
    if (bytes == 0)
        throw Error(QStringLiteral("CIFAR-10 batch %1 is empty.").arg(path));
    if (bytes % kCifarRecordBytes != 0)
        throw Error(QStringLiteral("CIFAR-10 batch %1 is truncated: %2 bytes is not a whole number of "
                                   "%3-byte records.")
                        .arg(path)
                        .arg(bytes)
                        .arg(kCifarRecordBytes));
    const int64_t n = bytes / kCifarRecordBytes;
    torch::Tensor raw = torch::empty({n, kCifarRecordBytes}, torch::kUInt8);
    auto* dest = reinterpret_cast<char*>(raw.data_ptr<uint8_t>());
    int64_t done = 0;
    while (done < bytes) {
        const qint64 got = file.read(dest + done, bytes - done);
        if (got <= 0)
            throw Error(QStringLiteral("CIFAR-10 batch %1 cannot be read: %2.").arg(path, file.errorString()));
        done += got;
    }
    TensorDataset batch;
    // Each record is label + CHW planes, so the images are a strided view of the file: one copy, no loop.
    batch.images = raw.narrow(1, 1, kCifarRecordBytes - 1).contiguous().view({n, 3, 32, 32});
    batch.labels = raw.select(1, 0).to(torch::kLong).contiguous();
    return batch;
}

QString findCifarBatchDir(const QString& dir)
{
    const QFileInfo info(dir);
    if (!info.exists())
        throw Error(QStringLiteral("CIFAR-10 folder %1 does not exist.").arg(dir));
    if (!info.isDir())
        throw Error(QStringLiteral("CIFAR-10 folder %1 is not a folder.").arg(dir));
    const QDir root(dir);
    for (const QString& candidate : {dir, root.filePath(QStringLiteral("cifar-10-batches-bin"))}) {
        const QDir folder(candidate);
        if (folder.exists(QStringLiteral("test_batch.bin")) || folder.exists(batchName(1)))
            return candidate;
    }
    throw Error(QStringLiteral("CIFAR-10 folder %1 holds no data_batch_1.bin or test_batch.bin (nor does its "
                               "cifar-10-batches-bin sub-folder).")
                    .arg(dir));
}

CifarSplits readCifar10(const QString& dir)
{
    const QDir folder(findCifarBatchDir(dir));
    const QStringList classNames = readClassNames(folder);

    int present = 0;
    while (present < kTrainBatches && folder.exists(batchName(present + 1)))
        ++present;
    if (present == 0)
        throw Error(QStringLiteral("CIFAR-10 training batch %1 does not exist.")
                        .arg(folder.filePath(batchName(1))));
    for (int k = present + 2; k <= kTrainBatches; ++k)
        if (folder.exists(batchName(k)))
            throw Error(QStringLiteral("CIFAR-10 training batch %1 does not exist, but %2 does.")
                            .arg(folder.filePath(batchName(present + 1)), batchName(k)));
    const bool official = present == kTrainBatches;

    std::vector<torch::Tensor> images, labels;
    for (int k = 1; k <= present; ++k) {
        const QString path = folder.filePath(batchName(k));
        TensorDataset batch = readCifarBatch(path);
        if (official)
            checkOfficialSize(batch, path);
        checkLabels(batch.labels, static_cast<int>(classNames.size()), path);
        images.push_back(batch.images);
        labels.push_back(batch.labels);
    }
    CifarSplits splits;
    splits.train.images = images.size() == 1 ? images.front() : torch::cat(images, 0);
    splits.train.labels = labels.size() == 1 ? labels.front() : torch::cat(labels, 0);
    splits.train.classNames = classNames;

    const QString testPath = folder.filePath(QStringLiteral("test_batch.bin"));
    splits.test = readCifarBatch(testPath);
    if (official)
        checkOfficialSize(splits.test, testPath);
    checkLabels(splits.test.labels, static_cast<int>(classNames.size()), testPath);
    splits.test.classNames = classNames;
    return splits;
}

} // namespace ranklab::data
