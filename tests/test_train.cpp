// The trainer: accuracy on real data, exact resume, NaN handling, schedule, run-folder contract.
#include <QtTest>

#include <QTemporaryDir>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint.h"
#include "core/train/lr_schedule.h"
#include "core/train/metrics_file.h"
#include "core/train/sgd.h"
#include "core/train/trainer.h"

using namespace ranklab;

namespace {
TrainParams smallRun(const QString& model, int subset, int epochs)
{
    TrainParams p;
    p.model = defaultModelSpec(model);
    p.model.inChannels = 0; // from the data
    p.model.inputSize = 0;
    p.model.numClasses = 10;
    p.data.name = QStringLiteral("fashion-mnist");
    p.data.subset = subset;
    p.data.testSubset = 1000;
    p.epochs = epochs;
    p.lr = 0.05;
    p.threads = 1;
    p.seed = 7;
    p.data.seed = 7;
    return p;
}
} // namespace

class TestTrain final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void lenet300ReachesEightyPercent();
    void resumeEqualsUninterrupted_data();
    void resumeEqualsUninterrupted();
    void divergingLossStopsWithClearError();
    void cosineScheduleMatchesPyTorch();
    void sgdMatchesTorchOptimSgd();
    void runFolderContract();
};

void TestTrain::lenet300ReachesEightyPercent()
{
    // The acceptance figure: lenet300, 2 epochs, a 10k Fashion-MNIST subset, ≥ 80 % test top-1
    // on the full 10k test split.
    QTemporaryDir dir;
    TrainParams p = smallRun(QStringLiteral("lenet300"), 10000, 2);
    p.data.testSubset = 0;
    int epochsSeen = 0;
    TrainCallbacks cb;
    cb.epochDone = [&epochsSeen](const EpochMetrics&) { ++epochsSeen; };
    const TrainSummary s = runTraining(p, dir.path(), false, cb);
    QCOMPARE(s.status, QStringLiteral("completed"));
    QCOMPARE(epochsSeen, 2);
    QVERIFY2(s.finalTestTop1 >= 0.80, qPrintable(QString::number(s.finalTestTop1)));
    QCOMPARE(s.history.size(), 2);
    QVERIFY(s.history[1].trainLoss < s.history[0].trainLoss);
}

void TestTrain::resumeEqualsUninterrupted_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("augment");
    QTest::newRow("lenet300") << "lenet300" << false;
    QTest::newRow("cifar_resnet18 w0.125, augmented") << "cifar_resnet18" << true;
}

void TestTrain::resumeEqualsUninterrupted()
{
    QFETCH(QString, model);
    QFETCH(bool, augment);
    TrainParams p = smallRun(model, 600, 3);
    p.model.width = 0.125;
    p.data.augment = augment;
    p.data.testSubset = 300;

    QTemporaryDir straight, interrupted;
    const TrainSummary whole = runTraining(p, straight.path(), false);

    // Stop after the first epoch (a cancel between epochs), then resume twice: once mid-run, once done.
    std::atomic_bool cancel{false};
    TrainCallbacks cb;
    cb.epochDone = [&cancel](const EpochMetrics& m) {
        if (m.epoch == 1)
            cancel = true;
    };
    const TrainSummary first = runTraining(p, interrupted.path(), false, cb, &cancel);
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    QVERIFY(!QFile::exists(interrupted.filePath("summary.json")));
    QVERIFY_THROWS_EXCEPTION(Error, runTraining(p, interrupted.path(), false)); // no --resume: refused
    const TrainSummary resumed = runTraining(p, interrupted.path(), true);
    QCOMPARE(resumed.status, QStringLiteral("completed"));
    QCOMPARE(resumed.history.size(), whole.history.size());
    for (int e = 0; e < whole.history.size(); ++e) {
        QCOMPARE(resumed.history[e].trainLoss, whole.history[e].trainLoss);
        QCOMPARE(resumed.history[e].testTop1, whole.history[e].testTop1);
        QCOMPARE(resumed.history[e].testLoss, whole.history[e].testLoss);
        QCOMPARE(resumed.history[e].lr, whole.history[e].lr);
    }
    const auto a = io::readCheckpoint(whole.weightsPath).model, b = io::readCheckpoint(resumed.weightsPath).model;
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        QVERIFY2(torch::equal(a[i].second, b[i].second), a[i].first.c_str());

    // A completed folder is safely re-runnable: it returns the stored summary.
    const TrainSummary again = runTraining(p, interrupted.path(), true);
    QCOMPARE(again.finalTestTop1, whole.finalTestTop1);
    // Different parameters on an existing folder are refused.
    TrainParams other = p;
    other.lr = 0.5;
    QVERIFY_THROWS_EXCEPTION(Error, runTraining(other, interrupted.path(), true));
}

void TestTrain::divergingLossStopsWithClearError()
{
    QTemporaryDir dir;
    TrainParams p = smallRun(QStringLiteral("lenet300"), 1000, 3);
    p.lr = 1e12;
    p.schedule = QStringLiteral("constant");
    QString message;
    try {
        runTraining(p, dir.path(), false);
    } catch (const Error& e) {
        message = QString::fromUtf8(e.what());
    }
    QVERIFY2(message.contains(QLatin1String("training diverged")), qPrintable(message));
    QVERIFY(message.contains(QLatin1String("nan")) || message.contains(QLatin1String("inf")));
    QVERIFY(!QFile::exists(dir.filePath("summary.json")));
    QVERIFY(!QFile::exists(dir.filePath("model.rlk")));
    // Whatever epochs finished before the divergence are kept in a readable checkpoint.
    if (QFile::exists(dir.filePath("checkpoint.rlk")))
        QVERIFY(!io::readCheckpoint(dir.filePath("checkpoint.rlk")).model.empty());
}

void TestTrain::cosineScheduleMatchesPyTorch()
{
    // CosineAnnealingLR(T_max = 4), stepped per epoch, from 0.1: 0.1, 0.085355, 0.05, 0.014645.
    const double expected[] = {0.1, 0.08535533905932738, 0.05, 0.014644660940672627};
    for (int e = 0; e < 4; ++e)
        QVERIFY(qAbs(scheduledLearningRate("cosine", 0.1, e, 4) - expected[e]) < 1e-12);
    QCOMPARE(scheduledLearningRate("constant", 0.1, 3, 4), 0.1);
    QVERIFY_THROWS_EXCEPTION(Error, scheduledLearningRate("step", 0.1, 0, 4));
}

void TestTrain::sgdMatchesTorchOptimSgd()
{
    // Two steps of torch.optim.SGD(lr, momentum 0.9, weight_decay 0.1) on p = [1, -2], grads g1, g2:
    // d1 = g1 + 0.1 p0, buf1 = d1, p1 = p0 − lr·buf1; d2 = g2 + 0.1 p1, buf2 = 0.9 buf1 + d2, p2 = p1 − lr·buf2.
    auto p = torch::tensor({1.0, -2.0}, torch::kDouble).requires_grad_(true);
    train::Sgd sgd({{"p", p}}, 0.9, 0.1);
    const double lr = 0.5;
    double p0[2] = {1.0, -2.0}, g1[2] = {0.3, 0.7}, g2[2] = {-0.2, 0.4}, p1[2], p2[2], buf[2];
    for (int i = 0; i < 2; ++i) {
        buf[i] = g1[i] + 0.1 * p0[i];
        p1[i] = p0[i] - lr * buf[i];
        buf[i] = 0.9 * buf[i] + g2[i] + 0.1 * p1[i];
        p2[i] = p1[i] - lr * buf[i];
    }
    p.mutable_grad() = torch::tensor({g1[0], g1[1]}, torch::kDouble);
    sgd.step(lr);
    p.mutable_grad() = torch::tensor({g2[0], g2[1]}, torch::kDouble);
    sgd.step(lr);
    QVERIFY(qAbs(p[0].item<double>() - p2[0]) < 1e-12);
    QVERIFY(qAbs(p[1].item<double>() - p2[1]) < 1e-12);
    QVERIFY(sgd.momentumBuffers().count("p") == 1);
}

void TestTrain::runFolderContract()
{
    QTemporaryDir dir;
    TrainParams p = smallRun(QStringLiteral("lenet300"), 500, 1);
    p.data.testSubset = 200;
    const TrainSummary s = runTraining(p, dir.path(), false);
    const QJsonObject params = io::readJsonObject(dir.filePath("params.json"));
    QCOMPARE(params.value("kind").toString(), QStringLiteral("train"));
    QCOMPARE(trainParamsFromJson(params.value("params").toObject()).epochs, 1);
    QCOMPARE(toJson(trainParamsFromJson(params.value("params").toObject())), toJson(p));
    const QJsonObject summary = io::readJsonObject(dir.filePath("summary.json"));
    QCOMPARE(summary.value("status").toString(), QStringLiteral("completed"));
    QCOMPARE(summary.value("final_test_top1").toDouble(), s.finalTestTop1);
    const auto rows = readMetricsCsv(dir.filePath("metrics.csv"));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].phase, QStringLiteral("train"));
    QVERIFY(rows[0].imagesPerSecond > 0);
    QVERIFY(QFile::exists(dir.filePath("model.rlk")));
    // No temporary files are left behind.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 5);

    // Unwritable --out (its parent is a file) and impossible options: one clear sentence each.
    QFile blocker(dir.filePath("file"));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    try {
        runTraining(p, dir.filePath("file/run"), false);
        QFAIL("an unwritable folder was accepted");
    } catch (const Error& e) {
        QVERIFY2(QString(e.what()).contains("cannot write to"), e.what());
    }
    TrainParams bad = p;
    bad.epochs = 0;
    QVERIFY_THROWS_EXCEPTION(Error, runTraining(bad, dir.filePath("bad"), false));
}

QTEST_GUILESS_MAIN(TestTrain)
#include "test_train.moc"
