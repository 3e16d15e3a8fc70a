// Tests of core/data: IDX, CIFAR-10 and ImageFolder readers, subsets, normalisation, BatchLoader.
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include <torch/torch.h>
#include <zlib.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "core/data/cifar_reader.h"
#include "core/data/data_spec.h"
#include "core/data/dataset.h"
#include "core/data/idx_reader.h"
#include "core/data/image_folder.h"
#include "core/data/transforms.h"
#include "core/error.h"

using namespace ranklab;
using namespace ranklab::data;

namespace {

const QString kFashionDir = QStringLiteral("/usr/share/datasets/fashion-mnist");

QByteArray bigEndian(uint32_t value)
{
    QByteArray out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<char>((value >> (24 - 8 * i)) & 0xff);
    return out;
}

/// Writes `bytes` to `path`, gzip-compressed if asked.
void writeBytes(const QString& path, const QByteArray& bytes, bool gzip)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (gzip) {
        gzFile file = gzopen(QFile::encodeName(path).constData(), "wb");
        QVERIFY(file != nullptr);
        QCOMPARE(gzwrite(file, bytes.constData(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
        QCOMPARE(gzclose(file), Z_OK);
    } else {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(bytes), qint64(bytes.size()));
    }
}

QByteArray idxImages(int n, int h, int w, const std::function<uint8_t(int, int, int)>& pixel,
                     uint32_t magic = 0x00000803)
{
    QByteArray out = bigEndian(magic) + bigEndian(n) + bigEndian(h) + bigEndian(w);
    for (int i = 0; i < n; ++i)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                out.append(static_cast<char>(pixel(i, y, x)));
    return out;
}

QByteArray idxLabels(const std::vector<int>& labels)
{
    QByteArray out = bigEndian(0x00000801) + bigEndian(static_cast<uint32_t>(labels.size()));
    for (const int label : labels)
        out.append(static_cast<char>(label));
    return out;
}

/// One CIFAR record: label, then R, G, B planes with pixel(i, channel, y, x).
QByteArray cifarRecords(int first, int n, const std::function<int(int)>& label,
                        const std::function<uint8_t(int, int, int, int)>& pixel)
{
    QByteArray out;
    for (int i = first; i < first + n; ++i) {
        out.append(static_cast<char>(label(i)));
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x)
                    out.append(static_cast<char>(pixel(i, c, y, x)));
    }
    return out;
}

uint8_t cifarPixel(int i, int c, int y, int x)
{
    return static_cast<uint8_t>((i * 31 + c * 80 + y * 3 + x) & 0xff);
}

/// A uint8 N × C × H × W set whose labels are the sample indices (so a batch says which samples it holds).
TensorDataset indexedSet(int64_t n, int64_t c, int64_t h, int64_t w)
{
    TensorDataset set;
    set.images = (torch::arange(n * c * h * w, torch::kLong) % 251).to(torch::kUInt8).view({n, c, h, w});
    set.labels = torch::arange(n, torch::kLong);
    return set;
}

/// Every batch of one epoch, images and labels concatenated.
std::pair<torch::Tensor, torch::Tensor> epochOf(BatchLoader& loader, int epoch)
{
    loader.startEpoch(epoch);
    std::vector<torch::Tensor> images, labels;
    torch::Tensor x, y;
    while (loader.next(x, y)) {
        images.push_back(x);
        labels.push_back(y);
    }
    return {torch::cat(images), torch::cat(labels)};
}

/// The message of the ranklab::Error `action` throws, or an empty string if it throws none.
QString errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const Error& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

} // namespace

/// An unbalanced generated IDX set in `dir`: 50 / 30 / 20 images of classes 0 / 1 / 2 in both splits, every
/// pixel of image i equal to i (so a test can tell which images a split holds). Returns the labels.
std::vector<int> writeUnbalancedIdx(const QString& dir)
{
    std::vector<int> labels;
    for (int i = 0; i < 100; ++i)
        labels.push_back(i < 50 ? 0 : (i < 80 ? 1 : 2));
    auto pixel = [](int i, int, int) { return static_cast<uint8_t>(i); };
    writeBytes(dir + "/train-images-idx3-ubyte", idxImages(100, 2, 2, pixel), false);
    writeBytes(dir + "/train-labels-idx1-ubyte", idxLabels(labels), false);
    writeBytes(dir + "/t10k-images-idx3-ubyte", idxImages(100, 2, 2, pixel), false);
    writeBytes(dir + "/t10k-labels-idx1-ubyte", idxLabels(labels), false);
    return labels;
}

class TestData final : public QObject {
    Q_OBJECT

private:
    DatasetSplits fashion_;
    QTemporaryDir tmp_;

    QString tmpPath(const QString& name) const { return QDir(tmp_.path()).filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        // One intra-op thread, as under ctest (OMP_NUM_THREADS=1): on a busy 2-core machine OpenMP waits
        // would dominate the small per-batch ops and make the timings below meaningless.
        at::set_num_threads(1);
        QElapsedTimer timer;
        timer.start();
        fashion_ = loadDataset(DataSpec{});
        qInfo("Fashion-MNIST (train + test, statistics) loaded in %lld ms", timer.elapsed());
    }

    void fashionMnistOpensWithCanonicalShape()
    {
        QCOMPARE(fashion_.name, QStringLiteral("fashion-mnist"));
        QCOMPARE(fashion_.train.size(), int64_t(60000));
        QCOMPARE(fashion_.test.size(), int64_t(10000));
        QCOMPARE(fashion_.train.images.sizes().vec(), (std::vector<int64_t>{60000, 1, 28, 28}));
        QCOMPARE(fashion_.test.images.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
        QCOMPARE(fashion_.train.images.scalar_type(), torch::kUInt8);
        QCOMPARE(fashion_.train.labels.scalar_type(), torch::kLong);
        QVERIFY(fashion_.train.images.is_contiguous());
        QCOMPARE(fashion_.train.classNames.size(), 10);
        QCOMPARE(fashion_.train.classNames.front(), QStringLiteral("T-shirt/top"));
        QCOMPARE(fashion_.train.classNames.back(), QStringLiteral("Ankle boot"));
        QVERIFY(torch::bincount(fashion_.train.labels).eq(6000).all().item<bool>());
        QVERIFY(torch::bincount(fashion_.test.labels).eq(1000).all().item<bool>());
        // Values of the real files (checked with an independent gzip reader).
        QCOMPARE(fashion_.train.labels[0].item<int64_t>(), int64_t(9));
        QCOMPARE(fashion_.test.labels[1].item<int64_t>(), int64_t(2));
        QCOMPARE(fashion_.train.images[0].sum().item<int64_t>(), int64_t(76247));
        QCOMPARE(fashion_.train.images[0][0][10][13].item<int>(), 193);
        QCOMPARE(fashion_.outChannels, 1);
        QCOMPARE(fashion_.norm.mean.size(), 1);
        QVERIFY(qAbs(fashion_.norm.mean[0] - 0.2860406) < 1e-6);
        QVERIFY(qAbs(fashion_.norm.std[0] - 0.3530242) < 1e-6);
    }

    void rawIdxEqualsGzip()
    {
        // The real test labels, un-gzipped into a raw file, read back identically.
        const QString gzPath = QDir(kFashionDir).filePath(QStringLiteral("t10k-labels-idx1-ubyte.gz"));
        gzFile in = gzopen(QFile::encodeName(gzPath).constData(), "rb");
        QVERIFY(in != nullptr);
        QByteArray raw(10008, '\0');
        QCOMPARE(gzread(in, raw.data(), 10008), 10008);
        gzclose(in);
        const QString rawPath = tmpPath(QStringLiteral("raw/t10k-labels-idx1-ubyte"));
        writeBytes(rawPath, raw, false);
        QVERIFY(torch::equal(readIdxLabels(rawPath), fashion_.test.labels));
    }

    void generatedIdxLoads_data()
    {
        QTest::addColumn<bool>("gzip");
        QTest::addColumn<QString>("separator"); // "-idx" (canonical) or ".idx" (some mirrors)
        QTest::newRow("raw") << false << "-";
        QTest::newRow("gzip") << true << "-";
        QTest::newRow("raw, mirror spelling") << false << ".";
    }

    void generatedIdxLoads()
    {
        QFETCH(bool, gzip);
        QFETCH(QString, separator);
        const QString dir = tmpPath(QStringLiteral("idx-") + QString::fromLatin1(QTest::currentDataTag()));
        auto file = [&](const char* stem, const char* kind) {
            return dir + '/' + stem + separator + kind + (gzip ? ".gz" : "");
        };
        auto pixel = [](int i, int y, int x) { return static_cast<uint8_t>(i * 16 + y * 4 + x); };
        writeBytes(file("train-images", "idx3-ubyte"), idxImages(6, 3, 4, pixel), gzip);
        writeBytes(file("train-labels", "idx1-ubyte"), idxLabels({0, 1, 2, 0, 1, 2}), gzip);
        writeBytes(file("t10k-images", "idx3-ubyte"), idxImages(2, 3, 4, pixel), gzip);
        writeBytes(file("t10k-labels", "idx1-ubyte"), idxLabels({2, 1}), gzip);

        const torch::Tensor images = readIdxImages(file("train-images", "idx3-ubyte"));
        QCOMPARE(images.sizes().vec(), (std::vector<int64_t>{6, 1, 3, 4}));
        QCOMPARE(images[5][0][2][3].item<int>(), 5 * 16 + 2 * 4 + 3);

        DataSpec spec;
        spec.name = QStringLiteral("idx");
        spec.dir = dir;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.train.size(), int64_t(6));
        QCOMPARE(splits.test.size(), int64_t(2));
        QCOMPARE(splits.train.classNames, (QStringList{"0", "1", "2"}));
        QVERIFY(torch::equal(splits.train.labels, torch::tensor({0, 1, 2, 0, 1, 2}, torch::kLong)));
        QVERIFY(torch::equal(splits.test.labels, torch::tensor({2, 1}, torch::kLong)));
        for (int i = 0; i < 6; ++i)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 4; ++x)
                    QCOMPARE(splits.train.images[i][0][y][x].item<int>(), int(pixel(i, y, x)));
    }

    void cifarBatchesLoad_data()
    {
        QTest::addColumn<bool>("nested");
        QTest::addColumn<bool>("meta");
        QTest::newRow("flat folder, standard names") << false << false;
        QTest::newRow("cifar-10-batches-bin, batches.meta.txt") << true << true;
    }

    void cifarBatchesLoad()
    {
        QFETCH(bool, nested);
        QFETCH(bool, meta);
        const QString dir = tmpPath(QStringLiteral("cifar-%1-%2").arg(nested).arg(meta));
        const QString batches = nested ? dir + QStringLiteral("/cifar-10-batches-bin") : dir;
        auto label = [](int i) { return (i * 7) % 10; };
        writeBytes(batches + QStringLiteral("/data_batch_1.bin"), cifarRecords(0, 12, label, cifarPixel), false);
        writeBytes(batches + QStringLiteral("/data_batch_2.bin"), cifarRecords(12, 8, label, cifarPixel), false);
        writeBytes(batches + QStringLiteral("/test_batch.bin"), cifarRecords(100, 5, label, cifarPixel), false);
        QStringList names;
        for (int c = 0; c < 10; ++c)
            names.append(QStringLiteral("class %1").arg(c));
        if (meta)
            writeBytes(batches + QStringLiteral("/batches.meta.txt"), names.join('\n').toUtf8() + "\n\n", false);

        DataSpec spec;
        spec.name = QStringLiteral("cifar10");
        spec.dir = dir;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.train.images.sizes().vec(), (std::vector<int64_t>{20, 3, 32, 32}));
        QCOMPARE(splits.test.images.sizes().vec(), (std::vector<int64_t>{5, 3, 32, 32}));
        QCOMPARE(splits.outChannels, 3);
        QCOMPARE(splits.norm.mean.size(), 3);
        QCOMPARE(splits.train.classNames, meta ? names : cifar10ClassNames());
        QCOMPARE(splits.train.classNames[1], meta ? QStringLiteral("class 1") : QStringLiteral("automobile"));
        for (int i = 0; i < 20; ++i)
            QCOMPARE(splits.train.labels[i].item<int64_t>(), int64_t(label(i)));
        QCOMPARE(splits.test.labels[4].item<int64_t>(), int64_t(label(104)));
        for (const auto& [i, c, y, x] : std::vector<std::array<int, 4>>{{0, 0, 0, 0}, {13, 1, 5, 7}, {19, 2, 31, 31}})
            QCOMPARE(splits.train.images[i][c][y][x].item<int>(), int(cifarPixel(i, c, y, x)));
        QCOMPARE(splits.test.images[3][2][9][4].item<int>(), int(cifarPixel(103, 2, 9, 4)));
    }

    void imageFolderPresplitColour()
    {
        const QString dir = tmpPath(QStringLiteral("folder-presplit"));
        auto colour = [](int k, int x, int y) { return qRgb(10 * k + x, 20 * y, 5 * k + 1); };
        auto write = [&](const QString& file, int k) {
            QImage image(4, 3, QImage::Format_RGB32);
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 4; ++x)
                    image.setPixel(x, y, colour(k, x, y));
            QDir().mkpath(QFileInfo(dir + file).absolutePath());
            QVERIFY(image.save(dir + file));
        };
        // Classes sorted by name: "cat" = 0, "dog" = 1, whatever the creation order.
        write(QStringLiteral("/train/dog/x.png"), 2);
        write(QStringLiteral("/train/cat/b.png"), 1);
        write(QStringLiteral("/train/cat/a.png"), 0);
        write(QStringLiteral("/test/dog/y.png"), 3);
        write(QStringLiteral("/test/cat/z.png"), 4);
        writeBytes(dir + QStringLiteral("/train/cat/notes.txt"), "not an image", false);
        // A JPEG of one flat colour, twice the size: scaled to the first image's 4×3.
        QImage jpeg(8, 6, QImage::Format_RGB32);
        jpeg.fill(qRgb(200, 100, 50));
        QVERIFY(jpeg.save(dir + QStringLiteral("/train/dog/w.jpg"), "JPEG", 100));

        DataSpec spec;
        spec.name = QStringLiteral("imagefolder");
        spec.dir = dir;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.train.classNames, (QStringList{"cat", "dog"}));
        QCOMPARE(splits.train.images.sizes().vec(), (std::vector<int64_t>{4, 3, 3, 4}));
        QVERIFY(torch::equal(splits.train.labels, torch::tensor({0, 0, 1, 1}, torch::kLong)));
        QVERIFY(torch::equal(splits.test.labels, torch::tensor({0, 1}, torch::kLong)));
        // Order: class, then file name: a.png (k=0), b.png (k=1), w.jpg, x.png (k=2).
        const std::vector<std::pair<int64_t, int>> trainImages{{0, 0}, {1, 1}, {3, 2}};
        for (const auto& [index, k] : trainImages)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 4; ++x) {
                    const QRgb expected = colour(k, x, y);
                    QCOMPARE(splits.train.images[index][0][y][x].item<int>(), qRed(expected));
                    QCOMPARE(splits.train.images[index][1][y][x].item<int>(), qGreen(expected));
                    QCOMPARE(splits.train.images[index][2][y][x].item<int>(), qBlue(expected));
                }
        QCOMPARE(splits.test.images[0][1][2][3].item<int>(), qGreen(colour(4, 3, 2)));
        const torch::Tensor jpegPixels = splits.train.images[2].to(torch::kInt);
        QVERIFY((jpegPixels[0] - 200).abs().max().item<int>() <= 4);
        QVERIFY((jpegPixels[1] - 100).abs().max().item<int>() <= 4);
        QVERIFY((jpegPixels[2] - 50).abs().max().item<int>() <= 4);
    }

    void imageFolderSplitGray()
    {
        const QString dir = tmpPath(QStringLiteral("folder-flat"));
        for (int c = 0; c < 3; ++c) {
            const QString classDir = dir + QStringLiteral("/class-%1").arg(QChar('a' + c));
            QDir().mkpath(classDir);
            for (int k = 0; k < 5; ++k) {
                // Class c, image k: one gray value 10c + k; the last image is larger and gets scaled.
                const int side = k == 4 ? 12 : 6;
                QImage image(side, side, QImage::Format_Grayscale8);
                image.fill(qRgb(10 * c + k, 10 * c + k, 10 * c + k));
                QVERIFY(image.save(classDir + QStringLiteral("/img%1.png").arg(k)));
            }
        }
        DataSpec spec;
        spec.name = QStringLiteral("imagefolder");
        spec.dir = dir;
        spec.testFraction = 0.4;
        spec.seed = 5;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.train.classNames, (QStringList{"class-a", "class-b", "class-c"}));
        QCOMPARE(splits.train.images.sizes().vec(), (std::vector<int64_t>{9, 1, 6, 6}));
        QCOMPARE(splits.test.images.sizes().vec(), (std::vector<int64_t>{6, 1, 6, 6}));
        QVERIFY(torch::equal(torch::bincount(splits.test.labels), torch::tensor({2, 2, 2}, torch::kLong)));
        // Every image is flat with value 10·label + k, and the two splits hold all 15 images once.
        std::set<int> seen;
        for (const TensorDataset* split : {&splits.train, &splits.test})
            for (int64_t i = 0; i < split->size(); ++i) {
                const torch::Tensor image = split->images[i];
                const int value = image.flatten()[0].item<int>();
                QVERIFY(image.eq(value).all().item<bool>());
                QCOMPARE(int64_t(value / 10), split->labels[i].item<int64_t>());
                QVERIFY(seen.insert(value).second);
            }
        QCOMPARE(int(seen.size()), 15);
        // The same seed gives the same split; another seed another one.
        QVERIFY(torch::equal(loadDataset(spec).test.images, splits.test.images));
        spec.seed = 6;
        QVERIFY(!torch::equal(loadDataset(spec).test.images, splits.test.images));
    }

    void badInputThrowsOneSentence_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QStringList>("expected"); // parts of the message; %D is the case's folder
        QTest::newRow("wrong IDX magic") << "magic" << QStringList{"%D/train-images-idx3-ubyte", "magic"};
        QTest::newRow("truncated IDX payload") << "truncated-idx" << QStringList{"%D/images.gz", "truncated"};
        QTest::newRow("cut-off gzip stream") << "cut-gzip" << QStringList{"%D/images.gz", "IDX file"};
        QTest::newRow("extra IDX bytes") << "extra-idx" << QStringList{"%D/images", "extra bytes"};
        QTest::newRow("IDX count mismatch") << "count" << QStringList{"%D/images", "%D/labels", "5 labels"};
        QTest::newRow("truncated CIFAR batch") << "truncated-cifar" << QStringList{"%D/data_batch_1.bin", "truncated"};
        QTest::newRow("missing path") << "missing" << QStringList{"%D/nowhere", "does not exist"};
        QTest::newRow("missing IDX file") << "missing-idx" << QStringList{"%D/train-images-idx3-ubyte.gz", "does not exist"};
        QTest::newRow("empty ImageFolder") << "empty-folder" << QStringList{"%D", "no class sub-folders"};
        QTest::newRow("unreadable image") << "bad-image" << QStringList{"%D/cls/broken.png", "cannot be read"};
        QTest::newRow("unknown data set") << "unknown" << QStringList{"'svhn'", "fashion-mnist", "cifar10"};
        QTest::newRow("subset too large") << "subset" << QStringList{"7", "training split", "only 6"};
        QTest::newRow("wrong mean count") << "mean" << QStringList{"mean", "2 values", "1 channel"};
        // A header claiming 87 million images in a file of 100 bytes: refused by what the file can hold,
        // not after allocating 68 GB (the case's timer below bounds it).
        QTest::newRow("IDX header claims 87M images") << "huge-idx" << QStringList{"%D/images", "truncated"};
        QTest::newRow("IDX gzip header claims 87M images") << "huge-idx-gz" << QStringList{"%D/images.gz", "truncated"};
        QTest::newRow("empty test split") << "empty-test" << QStringList{"test split", "%D", "no images"};
        QTest::newRow("no test fraction") << "no-test-fraction" << QStringList{"test split", "%D", "no images"};
        QTest::newRow("MNIST labels out of range") << "mnist-labels"
                                                   << QStringList{"%D/t10k-labels-idx1-ubyte.gz", "labels outside 0..9"};
    }

    void badInputThrowsOneSentence()
    {
        QFETCH(QString, problem);
        QFETCH(QStringList, expected);
        const QString dir = tmpPath(QStringLiteral("bad-") + problem);
        QDir().mkpath(dir);
        auto pixel = [](int, int, int) { return uint8_t(1); };
        auto writeSmallIdx = [&] {
            writeBytes(dir + "/train-images-idx3-ubyte", idxImages(6, 2, 2, pixel), false);
            writeBytes(dir + "/train-labels-idx1-ubyte", idxLabels({0, 1, 0, 1, 0, 1}), false);
            writeBytes(dir + "/t10k-images-idx3-ubyte", idxImages(2, 2, 2, pixel), false);
            writeBytes(dir + "/t10k-labels-idx1-ubyte", idxLabels({0, 1}), false);
        };
        DataSpec spec;
        spec.dir = dir;
        std::function<void()> action;
        if (problem == "magic") {
            writeBytes(dir + "/train-images-idx3-ubyte", idxLabels({1, 2, 3}), false);
            action = [&] { readIdxImages(dir + "/train-images-idx3-ubyte"); };
        } else if (problem == "truncated-idx") {
            writeBytes(dir + "/images.gz", idxImages(10, 4, 4, pixel).left(16 + 100), true);
            action = [&] { readIdxImages(dir + "/images.gz"); };
        } else if (problem == "cut-gzip") {
            writeBytes(dir + "/full.gz", idxImages(50, 8, 8, [](int i, int y, int x) { return uint8_t(i * y + x); }),
                       true);
            QFile full(dir + "/full.gz");
            QVERIFY(full.open(QIODevice::ReadOnly));
            const QByteArray compressed = full.readAll();
            writeBytes(dir + "/images.gz", compressed.left(compressed.size() / 2), false);
            action = [&] { readIdxImages(dir + "/images.gz"); };
        } else if (problem == "extra-idx") {
            writeBytes(dir + "/images", idxImages(2, 4, 4, pixel) + "x", false);
            action = [&] { readIdxImages(dir + "/images"); };
        } else if (problem == "count") {
            writeBytes(dir + "/images", idxImages(6, 2, 2, pixel), false);
            writeBytes(dir + "/labels", idxLabels({0, 1, 2, 3, 4}), false);
            action = [&] { readIdxSplit(dir + "/images", dir + "/labels"); };
        } else if (problem == "truncated-cifar") {
            writeBytes(dir + "/data_batch_1.bin", cifarRecords(0, 2, [](int) { return 1; }, cifarPixel).chopped(5),
                       false);
            writeBytes(dir + "/test_batch.bin", cifarRecords(0, 2, [](int) { return 1; }, cifarPixel), false);
            spec.name = "cifar10";
            action = [&] { loadDataset(spec); };
        } else if (problem == "missing") {
            spec.name = "mnist";
            spec.dir = dir + "/nowhere";
            action = [&] { loadDataset(spec); };
        } else if (problem == "missing-idx") {
            spec.name = "idx";
            action = [&] { loadDataset(spec); };
        } else if (problem == "empty-folder") {
            spec.name = "imagefolder";
            action = [&] { loadDataset(spec); };
        } else if (problem == "bad-image") {
            QImage image(2, 2, QImage::Format_RGB32);
            image.fill(Qt::red);
            QDir().mkpath(dir + "/cls");
            QVERIFY(image.save(dir + "/cls/good.png"));
            writeBytes(dir + "/cls/broken.png", "this is not a PNG", false);
            spec.name = "imagefolder";
            action = [&] { loadDataset(spec); };
        } else if (problem == "unknown") {
            spec.name = "svhn";
            action = [&] { loadDataset(spec); };
        } else if (problem == "subset") {
            writeSmallIdx();
            spec.name = "idx";
            spec.subset = 7;
            action = [&] { loadDataset(spec); };
        } else if (problem == "huge-idx" || problem == "huge-idx-gz") {
            const bool gz = problem == "huge-idx-gz";
            QByteArray bytes = bigEndian(0x00000803) + bigEndian(87000000) + bigEndian(28) + bigEndian(28);
            bytes += QByteArray(100, '\x07');
            const QString path = dir + (gz ? "/images.gz" : "/images");
            writeBytes(path, bytes, gz);
            action = [path] { readIdxImages(path); };
        } else if (problem == "empty-test" || problem == "no-test-fraction") {
            QImage image(4, 4, QImage::Format_Grayscale8);
            image.fill(90);
            const QString root = problem == "empty-test" ? dir + "/train" : dir;
            for (const char* cls : {"/a", "/b"}) {
                QDir().mkpath(root + cls);
                QVERIFY(image.save(root + cls + "/1.png"));
                QVERIFY(image.save(root + cls + "/2.png"));
            }
            if (problem == "empty-test")
                QDir().mkpath(dir + "/test/a"); // the test folder exists, with no image in it
            spec.name = "imagefolder";
            spec.testFraction = 0;
            action = [&] { loadDataset(spec); };
        } else if (problem == "mnist-labels") {
            // The canonical counts (60000 + 10000 images of 28×28, gzip keeps the files small); one test
            // label is 10: the message must name the labels file, not the images file.
            const QByteArray zeros(28 * 28, '\0');
            QByteArray train = bigEndian(0x00000803) + bigEndian(60000) + bigEndian(28) + bigEndian(28);
            train += zeros.repeated(60000);
            QByteArray test = bigEndian(0x00000803) + bigEndian(10000) + bigEndian(28) + bigEndian(28);
            test += zeros.repeated(10000);
            std::vector<int> trainLabels(60000, 3), testLabels(10000, 4);
            testLabels[17] = 10;
            writeBytes(dir + "/train-images-idx3-ubyte.gz", train, true);
            writeBytes(dir + "/train-labels-idx1-ubyte.gz", idxLabels(trainLabels), true);
            writeBytes(dir + "/t10k-images-idx3-ubyte.gz", test, true);
            writeBytes(dir + "/t10k-labels-idx1-ubyte.gz", idxLabels(testLabels), true);
            spec.name = "mnist";
            action = [&] { loadDataset(spec); };
        } else if (problem == "mean") {
            writeSmallIdx();
            spec.name = "idx";
            spec.mean = {0.5, 0.5};
            action = [&] { loadDataset(spec); };
        }
        QElapsedTimer timer;
        timer.start();
        const QString message = errorOf(action);
        QVERIFY2(!message.isEmpty(), "no ranklab::Error thrown");
        QVERIFY2(timer.elapsed() < 20000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
        for (QString part : expected) {
            part.replace(QStringLiteral("%D"), dir);
            QVERIFY2(message.contains(part), qPrintable(message + " lacks: " + part));
        }
        QVERIFY2(message.endsWith('.') && !message.contains('\n'), qPrintable(message));
    }

    void subsetIsStratifiedAndSeeded()
    {
        const torch::Tensor labels = fashion_.train.labels;
        const torch::Tensor a = stratifiedSubsetIndices(labels, 10, 1000, 1, QStringLiteral("training split"));
        QCOMPARE(a.numel(), int64_t(1000));
        QVERIFY(torch::bincount(labels.index_select(0, a)).eq(100).all().item<bool>());
        QVERIFY(std::get<0>(a.sort()).equal(a));                         // ascending
        QCOMPARE(std::get<0>(at::_unique(a)).numel(), int64_t(1000));     // no repeats
        QVERIFY(torch::equal(a, stratifiedSubsetIndices(labels, 10, 1000, 1, QStringLiteral("training split"))));
        QVERIFY(!torch::equal(a, stratifiedSubsetIndices(labels, 10, 1000, 2, QStringLiteral("training split"))));
    }

    void subsetQuotasSumExactly_data()
    {
        QTest::addColumn<std::vector<int64_t>>("counts");
        QTest::addColumn<int64_t>("n");
        QTest::addColumn<std::vector<int64_t>>("quotas");
        QTest::newRow("proportional") << std::vector<int64_t>{50, 30, 20} << int64_t(10)
                                      << std::vector<int64_t>{5, 3, 2};
        QTest::newRow("thirds") << std::vector<int64_t>{1, 1, 1} << int64_t(2) << std::vector<int64_t>{1, 1, 0};
        QTest::newRow("rounding up") << std::vector<int64_t>{7, 2, 1} << int64_t(5)
                                     << std::vector<int64_t>{4, 1, 0};
        QTest::newRow("all") << std::vector<int64_t>{3, 0, 4} << int64_t(7) << std::vector<int64_t>{3, 0, 4};
    }

    void subsetQuotasSumExactly()
    {
        QFETCH(std::vector<int64_t>, counts);
        QFETCH(int64_t, n);
        QFETCH(std::vector<int64_t>, quotas);
        QCOMPARE(stratifiedQuotas(counts, n), quotas);
    }

    void subsetThroughLoadDataset()
    {
        // An unbalanced generated set: 50 / 30 / 20 samples of classes 0 / 1 / 2.
        const QString dir = tmpPath(QStringLiteral("idx-unbalanced"));
        const std::vector<int> labels = writeUnbalancedIdx(dir);
        DataSpec spec;
        spec.name = "idx";
        spec.dir = dir;
        spec.subset = 10;
        spec.testSubset = 20;
        spec.seed = 3;
        const DatasetSplits splits = loadDataset(spec);
        QVERIFY(torch::equal(torch::bincount(splits.train.labels), torch::tensor({5, 3, 2}, torch::kLong)));
        QVERIFY(torch::equal(torch::bincount(splits.test.labels), torch::tensor({10, 6, 4}, torch::kLong)));
        // Images follow their labels (pixel = original index).
        for (int64_t i = 0; i < splits.train.size(); ++i) {
            const int index = splits.train.images[i][0][0][0].item<int>();
            QCOMPARE(splits.train.labels[i].item<int64_t>(), int64_t(labels[index]));
        }
    }

    void validationSplitIsHeldOutOfTraining()
    {
        // 50 / 30 / 20 images of classes 0 / 1 / 2, pixel = original index: a 20-image validation split takes
        // 10 / 6 / 4 of them out of training — stratified, seeded, disjoint from training, nothing lost.
        const QString dir = tmpPath(QStringLiteral("idx-validation"));
        const std::vector<int> labels = writeUnbalancedIdx(dir);
        DataSpec spec;
        spec.name = "idx";
        spec.dir = dir;
        spec.valSubset = 20;
        spec.seed = 3;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.val.size(), int64_t(20));
        QCOMPARE(splits.train.size(), int64_t(80));
        QVERIFY(torch::equal(torch::bincount(splits.val.labels), torch::tensor({10, 6, 4}, torch::kLong)));
        std::set<int> train, val;
        for (int64_t i = 0; i < splits.train.size(); ++i)
            train.insert(splits.train.images[i][0][0][0].item<int>());
        for (int64_t i = 0; i < splits.val.size(); ++i) {
            const int index = splits.val.images[i][0][0][0].item<int>();
            QVERIFY2(!train.count(index), "a validation image is also a training image");
            QCOMPARE(splits.val.labels[i].item<int64_t>(), int64_t(labels[index]));
            val.insert(index);
        }
        QCOMPARE(int(train.size() + val.size()), 100);
        QVERIFY(torch::equal(loadDataset(spec).val.images, splits.val.images)); // seeded
        QCOMPARE(splits.test.size(), int64_t(100)); // the test split is untouched
        // Bad sizes: one sentence each, naming the problem.
        const auto message = [&spec](int n) {
            DataSpec bad = spec;
            bad.valSubset = n;
            try {
                loadDataset(bad);
            } catch (const Error& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        QVERIFY2(message(100).contains(QLatin1String("must be smaller than the training split")), qPrintable(message(100)));
        QVERIFY2(message(2).contains(QLatin1String("cannot hold every one of the 3 classes")), qPrintable(message(2)));
        QVERIFY2(message(-1).contains(QLatin1String("cannot be negative")), qPrintable(message(-1)));
    }

    void normalisationOfHandMadeSet()
    {
        // 1 channel: pixels {0, 255, 51, 102} → [0,1] values {0, 1, .2, .4}: mean .4, variance .14.
        const torch::Tensor gray = torch::tensor({0, 255, 51, 102}, torch::kUInt8).view({2, 1, 1, 2});
        const Normalization g = channelStatistics(gray);
        QCOMPARE(g.mean.size(), 1);
        QVERIFY(qAbs(g.mean[0] - 0.4) < 1e-12);
        QVERIFY(qAbs(g.std[0] - std::sqrt(0.14)) < 1e-12);
        // 2 channels of one 1×2 image: {0, 255} (mean .5, std .5) and {51, 51} (mean .2, std 0).
        const torch::Tensor two = torch::tensor({0, 255, 51, 51}, torch::kUInt8).view({1, 2, 1, 2});
        const Normalization t = channelStatistics(two);
        QVERIFY(qAbs(t.mean[0] - 0.5) < 1e-12 && qAbs(t.std[0] - 0.5) < 1e-12);
        QVERIFY(qAbs(t.mean[1] - 0.2) < 1e-12 && t.std[1] == 0.0);

        DataSpec spec;
        // Training statistics replicated when grayscale becomes 3 channels.
        const Normalization rgb = resolveNormalization(spec, g, 3);
        QCOMPARE(rgb.mean, QVector<double>(3, g.mean[0]));
        QCOMPARE(rgb.std, QVector<double>(3, g.std[0]));
        // Explicit values: per channel, or one broadcast.
        spec.mean = {0.1, 0.2, 0.3};
        spec.std = {0.5};
        const Normalization given = resolveNormalization(spec, g, 3);
        QCOMPARE(given.mean, (QVector<double>{0.1, 0.2, 0.3}));
        QCOMPARE(given.std, (QVector<double>{0.5, 0.5, 0.5}));
        spec.std = {0.5, 0.0, 0.5};
        QVERIFY(errorOf([&] { resolveNormalization(spec, g, 3); }).contains(QStringLiteral("positive")));
        spec.std = {0.5, 0.5};
        QVERIFY(errorOf([&] { resolveNormalization(spec, g, 3); }).contains(QStringLiteral("2 values")));
    }

    void batchLoaderCoversEverySampleOnce_data()
    {
        QTest::addColumn<int>("batchSize");
        QTest::addColumn<bool>("shuffle");
        QTest::addColumn<bool>("augment");
        QTest::newRow("batch 7, shuffled") << 7 << true << false;
        QTest::newRow("batch 128, shuffled, augmented") << 128 << true << true;
        QTest::newRow("batch 100, in order") << 100 << false << false;
        QTest::newRow("batch larger than the set") << 5000 << true << true;
    }

    void batchLoaderCoversEverySampleOnce()
    {
        QFETCH(int, batchSize);
        QFETCH(bool, shuffle);
        QFETCH(bool, augment);
        const TensorDataset set = indexedSet(1000, 1, 5, 5);
        BatchLoader loader(set, Normalization{{0.5}, {0.25}}, 1, batchSize, shuffle, augment, 2, 11);
        QCOMPARE(loader.samples(), int64_t(1000));
        QCOMPARE(loader.batchesPerEpoch(), int64_t((1000 + batchSize - 1) / batchSize));
        for (int epoch = 0; epoch < 2; ++epoch) {
            loader.startEpoch(epoch);
            torch::Tensor x, y;
            int64_t batches = 0;
            std::vector<torch::Tensor> labels;
            while (loader.next(x, y)) {
                ++batches;
                QCOMPARE(x.scalar_type(), torch::kFloat);
                QVERIFY(x.is_contiguous());
                QCOMPARE(x.size(0), y.size(0));
                QCOMPARE(x.sizes().slice(1).vec(), (std::vector<int64_t>{1, 5, 5}));
                QVERIFY(x.size(0) == batchSize || batches == loader.batchesPerEpoch());
                labels.push_back(y);
            }
            QCOMPARE(batches, loader.batchesPerEpoch());
            const torch::Tensor all = torch::cat(labels);
            QVERIFY(torch::equal(std::get<0>(all.sort()), set.labels));
            QCOMPARE(torch::equal(all, set.labels), !shuffle);
        }
    }

    void batchLoaderReproducesEpochs()
    {
        const TensorDataset set = indexedSet(300, 1, 6, 6);
        BatchLoader loader(set, Normalization{{0.5}, {0.25}}, 1, 64, true, true, 2, 7);
        const auto epoch0 = epochOf(loader, 0);
        const auto epoch1 = epochOf(loader, 1);
        const auto epoch0Again = epochOf(loader, 0);
        QVERIFY(torch::equal(epoch0.first, epoch0Again.first));
        QVERIFY(torch::equal(epoch0.second, epoch0Again.second));
        QVERIFY(!torch::equal(epoch0.second, epoch1.second));
        // A second loader with the same seed resumed at epoch 1 sees the same batches.
        BatchLoader resumed(set, Normalization{{0.5}, {0.25}}, 1, 64, true, true, 2, 7);
        const auto epoch1Resumed = epochOf(resumed, 1);
        QVERIFY(torch::equal(epoch1.first, epoch1Resumed.first));
        // Another seed, another order.
        BatchLoader other(set, Normalization{{0.5}, {0.25}}, 1, 64, true, true, 2, 8);
        QVERIFY(!torch::equal(epochOf(other, 0).second, epoch0.second));
    }

    void batchLoaderNormalisesRealSet()
    {
        // Batches of the full training split with its own statistics: mean 0, std 1.
        BatchLoader loader(fashion_.train, fashion_.norm, 1, 128, true, false, 0, 1);
        double sum = 0.0, squares = 0.0;
        int64_t count = 0;
        torch::Tensor x, y;
        QElapsedTimer timer;
        timer.start();
        while (loader.next(x, y)) {
            const torch::Tensor d = x.to(torch::kDouble);
            sum += d.sum().item<double>();
            squares += d.square().sum().item<double>();
            count += d.numel();
        }
        qInfo("Fashion-MNIST training epoch, batch 128, no augmentation (with the sums): %lld ms", timer.elapsed());
        QCOMPARE(count, int64_t(60000) * 28 * 28);
        const double mean = sum / double(count);
        QVERIFY(qAbs(mean) < 1e-5);
        QVERIFY(qAbs(std::sqrt(squares / double(count) - mean * mean) - 1.0) < 1e-5);
        // A pixel maps to (p/255 - mean)/std.
        BatchLoader ordered(fashion_.train, fashion_.norm, 1, 4, false, false, 0, 1);
        QVERIFY(ordered.next(x, y));
        const double expected = (193 / 255.0 - fashion_.norm.mean[0]) / fashion_.norm.std[0];
        QVERIFY(qAbs(x[0][0][10][13].item<double>() - expected) < 1e-5);
    }

    void batchLoaderEpochTiming_data()
    {
        QTest::addColumn<bool>("augment");
        QTest::newRow("plain") << false;
        QTest::newRow("augmented") << true;
    }

    void batchLoaderEpochTiming()
    {
        QFETCH(bool, augment);
        BatchLoader loader(fashion_.train, fashion_.norm, 1, 128, true, augment, 4, 1);
        torch::Tensor x, y;
        int64_t samples = 0;
        QElapsedTimer timer;
        timer.start();
        while (loader.next(x, y))
            samples += x.size(0);
        qInfo("Fashion-MNIST training epoch, batch 128, %s: %lld ms", augment ? "augmented" : "plain",
              timer.elapsed());
        QCOMPARE(samples, int64_t(60000));
    }

    void grayscaleReplicatesToThreeChannels()
    {
        DataSpec spec;
        spec.channels = 3;
        BatchLoader loader(fashion_.test, resolveNormalization(spec, fashion_.norm, 3), 3, 32, false, true, 4, 2);
        torch::Tensor x, y;
        QVERIFY(loader.next(x, y));
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{32, 3, 28, 28}));
        QVERIFY(x.is_contiguous());
        QVERIFY(torch::equal(x.select(1, 0), x.select(1, 1)));
        QVERIFY(torch::equal(x.select(1, 0), x.select(1, 2)));
    }

    void cropPadsWithZeros()
    {
        // A constant image (200) padded by 2: crop pixels are either the image or the zero border.
        TensorDataset set;
        set.images = torch::full({64, 1, 8, 8}, 200, torch::kUInt8);
        set.labels = torch::zeros({64}, torch::kLong);
        BatchLoader loader(set, Normalization{{0.5}, {0.25}}, 1, 64, true, true, 2, 3);
        torch::Tensor x, y;
        QVERIFY(loader.next(x, y));
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{64, 1, 8, 8}));
        const float border = (0.0f - 0.5f) / 0.25f;
        const float inside = (200.0f / 255.0f - 0.5f) / 0.25f;
        const torch::Tensor isBorder = (x - border).abs() < 1e-5;
        const torch::Tensor isInside = (x - inside).abs() < 1e-5;
        QVERIFY((isBorder | isInside).all().item<bool>());
        QVERIFY(isBorder.any().item<bool>());
        for (int64_t i = 0; i < 64; ++i) {
            // The image part of each crop is a rectangle at least 6×6 (offsets within ±2).
            const torch::Tensor mask = isInside[i][0];
            const int64_t rows = mask.any(1).sum().item<int64_t>();
            const int64_t cols = mask.any(0).sum().item<int64_t>();
            QCOMPARE(mask.sum().item<int64_t>(), rows * cols);
            QVERIFY(rows >= 6 && cols >= 6);
        }
    }

    void flipMirrorsColumns()
    {
        // Pixel = column index; with no padding each augmented sample is the image or its mirror.
        TensorDataset set;
        set.images = torch::arange(8, torch::kUInt8).view({1, 1, 1, 8}).expand({64, 1, 4, 8}).contiguous();
        set.labels = torch::zeros({64}, torch::kLong);
        BatchLoader loader(set, Normalization{}, 1, 64, false, true, 0, 9);
        torch::Tensor x, y;
        QVERIFY(loader.next(x, y));
        const torch::Tensor plain = set.images[0].to(torch::kFloat) / 255.0;
        const torch::Tensor mirrored = plain.flip({2});
        int flipped = 0;
        for (int64_t i = 0; i < 64; ++i) {
            const bool isPlain = torch::allclose(x[i], plain);
            const bool isMirrored = torch::allclose(x[i], mirrored);
            QVERIFY(isPlain != isMirrored);
            flipped += isMirrored ? 1 : 0;
        }
        QVERIFY(flipped > 10 && flipped < 54);
    }

    void resizeGivesRequestedSize()
    {
        const torch::Tensor flat = torch::full({3, 1, 28, 28}, 77, torch::kUInt8);
        const torch::Tensor up = resizeImages(flat, 32);
        QCOMPARE(up.sizes().vec(), (std::vector<int64_t>{3, 1, 32, 32}));
        QCOMPARE(up.scalar_type(), torch::kUInt8);
        QVERIFY(up.eq(77).all().item<bool>());
        const torch::Tensor down = resizeImages(fashion_.test.images.narrow(0, 0, 10), 14);
        QCOMPARE(down.sizes().vec(), (std::vector<int64_t>{10, 1, 14, 14}));
        // Shrinking keeps the average brightness.
        const double before = fashion_.test.images.narrow(0, 0, 10).to(torch::kDouble).mean().item<double>();
        QVERIFY(qAbs(down.to(torch::kDouble).mean().item<double>() - before) < 1.0);

        DataSpec spec;
        spec.resize = 32;
        spec.channels = 3;
        spec.subset = 100;
        spec.testSubset = 50;
        const DatasetSplits splits = loadDataset(spec);
        QCOMPARE(splits.train.images.sizes().vec(), (std::vector<int64_t>{100, 1, 32, 32}));
        QCOMPARE(splits.test.images.sizes().vec(), (std::vector<int64_t>{50, 1, 32, 32}));
        QCOMPARE(splits.outChannels, 3);
        QCOMPARE(splits.norm.mean.size(), 3);
        QVERIFY(torch::bincount(splits.train.labels).eq(10).all().item<bool>());
    }
};

QTEST_GUILESS_MAIN(TestData)
#include "test_data.moc"
