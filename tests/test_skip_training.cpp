// Training with skip (paper A §4.2): basis convs for the first epochs, composed back, schedule untouched.
#include <QtTest>

#include <QTemporaryDir>

#include "core/basis/sanity_check.h"
#include "core/basis/skip_training.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/weights.h"
#include "core/models/zoo.h"
#include "core/train/metrics_file.h"
#include "core/train/trainer.h"

using namespace ranklab;

namespace {
basis::BasisTrainParams smallSkipRun(int epochs, int skip)
{
    basis::BasisTrainParams p;
    p.train.model = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    p.train.model.width = 0.125;
    p.train.model.inChannels = 0;
    p.train.model.inputSize = 0;
    p.train.data.subset = 400;
    p.train.data.testSubset = 200;
    p.train.epochs = epochs;
    p.train.lr = 0.05;
    p.train.threads = 1;
    p.train.seed = 3;
    p.layers = QStringLiteral("4,15,16-20");
    p.basis.size = 0.5;
    p.basis.beta = 0.25;
    p.basis.form = basis::BasisForm::Pair;
    p.basis.init = basis::BasisInit::Qr;
    p.skipEpochs = skip;
    return p;
}
} // namespace

class TestSkipTraining final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void phasesAndScheduleFollowTheUninterruptedRun();
    void resumeAcrossTheSwitchEqualsUninterrupted();
    void badInputWritesNothing();
    void startEpochTrainsTheTailOfTheSchedule();
    void sanityCheckRunsBaselineControlsAndBases();
    void sanityCheckBadInputWritesNothing();
};

void TestSkipTraining::phasesAndScheduleFollowTheUninterruptedRun()
{
    QTemporaryDir plainDir, skipDir;
    const basis::BasisTrainParams p = smallSkipRun(4, 2);
    const TrainSummary plain = runTraining(p.train, plainDir.path(), false);
    const TrainSummary skip = basis::runBasisTraining(p, skipDir.path(), false);
    QCOMPARE(skip.status, QStringLiteral("completed"));
    const auto rows = readMetricsCsv(skipDir.filePath("metrics.csv"));
    QCOMPARE(rows.size(), 4);
    const QStringList phases = {"basis", "basis", "full", "full"};
    for (int e = 0; e < 4; ++e) {
        QCOMPARE(rows[e].phase, phases[e]);
        QCOMPARE(rows[e].lr, plain.history[e].lr); // the LR after the boundary equals the uninterrupted one
    }
    const QJsonObject s = io::readJsonObject(skipDir.filePath("summary.json"));
    QCOMPARE(s.value("skip_epochs").toInt(), 2);
    QVERIFY(s.value("basis_seconds").toDouble() > 0);
    QVERIFY(s.value("full_seconds").toDouble() > 0);
    QVERIFY(s.value("basis_params").toDouble() < s.value("full_params").toDouble());
    QCOMPARE(qint64(s.value("full_params").toDouble()), plain.params);
    QCOMPARE(s.value("basis_layers").toArray().size(), 7);
    QCOMPARE(skip.params, plain.params); // composed back: the final model is the plain architecture

    // The final weights are an ordinary model's: they load strictly into a fresh one.
    ModelSpec spec = p.train.model;
    spec.inChannels = 1;
    spec.inputSize = 28;
    auto model = models::createModel(spec);
    io::loadWeights(*model, skip.weightsPath);
    // Training actually learned something in both phases.
    QVERIFY(rows[3].trainLoss < rows[0].trainLoss);
}

void TestSkipTraining::resumeAcrossTheSwitchEqualsUninterrupted()
{
    const basis::BasisTrainParams p = smallSkipRun(3, 1);
    QTemporaryDir straight, interrupted;
    const TrainSummary whole = basis::runBasisTraining(p, straight.path(), false);
    // Stop after epoch 1, the last basis epoch: the resumed run must compose back exactly as the straight one.
    std::atomic_bool cancel{false};
    TrainCallbacks cb;
    cb.epochDone = [&cancel](const EpochMetrics& m) {
        if (m.epoch == 1)
            cancel = true;
    };
    QCOMPARE(basis::runBasisTraining(p, interrupted.path(), false, cb, &cancel).status, QStringLiteral("cancelled"));
    const TrainSummary resumed = basis::runBasisTraining(p, interrupted.path(), true);
    QCOMPARE(resumed.history.size(), whole.history.size());
    for (int e = 0; e < whole.history.size(); ++e) {
        QCOMPARE(resumed.history[e].phase, whole.history[e].phase);
        QCOMPARE(resumed.history[e].trainLoss, whole.history[e].trainLoss);
        QCOMPARE(resumed.history[e].testTop1, whole.history[e].testTop1);
    }
}

void TestSkipTraining::badInputWritesNothing()
{
    QTemporaryDir dir;
    auto message = [&dir](const basis::BasisTrainParams& p) {
        try {
            basis::runBasisTraining(p, dir.filePath("run"), false);
        } catch (const Error& e) {
            return QString::fromUtf8(e.what());
        }
        return QString();
    };
    basis::BasisTrainParams p = smallSkipRun(2, 3);
    QVERIFY(message(p).contains("--skip"));
    p = smallSkipRun(2, 1);
    p.layers = QStringLiteral("21"); // fc: not a convolution
    QVERIFY2(!message(p).isEmpty(), "a linear layer was accepted as a basis conv");
    p.layers = QStringLiteral("layer9.conv1");
    QVERIFY(message(p).contains("layer9.conv1"));
    p = smallSkipRun(2, 1);
    p.basis.size = 1000;
    QVERIFY(!message(p).isEmpty());
    QVERIFY(!QFile::exists(dir.filePath("run/params.json")));
}

void TestSkipTraining::startEpochTrainsTheTailOfTheSchedule()
{
    TrainParams p = smallSkipRun(4, 1).train;
    QTemporaryDir plainDir, tailDir, interruptedDir;
    const TrainSummary plain = runTraining(p, plainDir.path(), false);
    p.startEpoch = 2;
    p.initWeights = plain.weightsPath;
    const TrainSummary tail = runTraining(p, tailDir.path(), false);
    QCOMPARE(tail.history.size(), 2);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(tail.history[i].epoch, 3 + i);              // rows keep their place in the schedule
        QCOMPARE(tail.history[i].lr, plain.history[2 + i].lr); // and the schedule's LR there
    }
    QCOMPARE(trainParamsFromJson(toJson(p)).startEpoch, 2);

    // Interrupted after its first epoch, the tail run resumes to the same figures.
    std::atomic_bool cancel{false};
    TrainCallbacks cb;
    cb.epochDone = [&cancel](const EpochMetrics&) { cancel = true; };
    QCOMPARE(runTraining(p, interruptedDir.path(), false, cb, &cancel).status, QStringLiteral("cancelled"));
    const TrainSummary resumed = runTraining(p, interruptedDir.path(), true);
    QCOMPARE(resumed.history.size(), 2);
    QCOMPARE(resumed.history[1].trainLoss, tail.history[1].trainLoss);
    QCOMPARE(resumed.history[1].testTop1, tail.history[1].testTop1);

    p.startEpoch = 4;
    QVERIFY_THROWS_EXCEPTION(Error, runTraining(p, tailDir.filePath("bad"), false));
}

namespace {
basis::SanityCheckParams smallSanityCheck()
{
    basis::SanityCheckParams p;
    p.train = smallSkipRun(3, 1).train; // start = round(0.7 · 3) = 2: one epoch after the skip
    p.layers = QStringLiteral("16-20");
    p.sizes = {0.5, 1};
    p.inits = {basis::BasisInit::Qr, basis::BasisInit::Svd};
    return p;
}

QJsonObject runByName(const QJsonObject& summary, const QString& name)
{
    for (const QJsonValue& v : summary.value("runs").toArray())
        if (v.toObject().value("name").toString() == name)
            return v.toObject();
    return {};
}
} // namespace

void TestSkipTraining::sanityCheckRunsBaselineControlsAndBases()
{
    const basis::SanityCheckParams p = smallSanityCheck();
    QTemporaryDir dir;
    // Interrupt during the "random" control (after baseline 3 epochs + copy 1): the resume redoes nothing finished.
    std::atomic_bool cancel{false};
    int epochs = 0;
    TrainCallbacks cb;
    cb.epochDone = [&](const EpochMetrics&) {
        if (++epochs == 4)
            cancel = true;
    };
    QCOMPARE(basis::runSanityCheck(p, dir.path(), false, cb, &cancel).value("status").toString(), QStringLiteral("cancelled"));
    QVERIFY(!QFile::exists(dir.filePath("summary.json")));
    QVERIFY_THROWS_EXCEPTION(Error, basis::runSanityCheck(p, dir.path(), false)); // holds an experiment: needs resume
    epochs = 0;
    TrainCallbacks count;
    count.epochDone = [&](const EpochMetrics&) { ++epochs; };
    const QJsonObject s = basis::runSanityCheck(p, dir.path(), true, count);
    QCOMPARE(s.value("status").toString(), QStringLiteral("completed"));
    QCOMPARE(epochs, 5); // random's epoch and the four basis runs; baseline and copy were done
    QCOMPARE(s.value("start_epoch").toInt(), 3);
    QCOMPARE(s.value("runs").toArray().size(), 7);
    QVERIFY(QFile::exists(dir.filePath("sanity.csv")));

    const QJsonObject baseline = runByName(s, "baseline"), copy = runByName(s, "copy"), random = runByName(s, "random");
    QCOMPARE(s.value("baseline_top1").toDouble(), baseline.value("final_test_top1").toDouble());
    // The copy control continues a trained network; the random one has had a single low-LR epoch.
    QVERIFY2(copy.value("final_test_top1").toDouble() > random.value("final_test_top1").toDouble(),
             "starting from the trained weights did not beat starting from random ones");
    for (const QString init : {QStringLiteral("qr"), QStringLiteral("svd")}) {
        const QJsonObject half = runByName(s, init + "-0.5"), one = runByName(s, init + "-1");
        QVERIFY(!half.isEmpty() && !one.isEmpty());
        QCOMPARE(half.value("start_epoch").toInt(), 3);
        // The basis model is smaller, and one basis filter per layer is smaller still.
        QVERIFY(half.value("params").toDouble() < copy.value("params").toDouble());
        QVERIFY(one.value("params").toDouble() < half.value("params").toDouble());
        // Fewer basis filters reconstruct the trained weights worse.
        QVERIFY(one.value("mean_reconstruction_error").toDouble() > half.value("mean_reconstruction_error").toDouble());
        QVERIFY(half.value("mean_reconstruction_error").toDouble() > 0);
    }
    // Truncated SVD is the best rank-r approximation in the Frobenius norm: never worse than QR's.
    QVERIFY(runByName(s, "svd-0.5").value("mean_reconstruction_error").toDouble()
            <= runByName(s, "qr-0.5").value("mean_reconstruction_error").toDouble() + 1e-9);
}

void TestSkipTraining::sanityCheckBadInputWritesNothing()
{
    QTemporaryDir dir;
    auto message = [&dir](const basis::SanityCheckParams& p) {
        try {
            basis::runSanityCheck(p, dir.filePath("exp"), false);
        } catch (const Error& e) {
            return QString::fromUtf8(e.what());
        }
        return QString();
    };
    basis::SanityCheckParams p = smallSanityCheck();
    p.train.epochs = 1;
    QVERIFY(message(p).contains("too short"));
    p = smallSanityCheck();
    p.layers = QStringLiteral("21");
    QVERIFY(message(p).contains("not a convolution"));
    p = smallSanityCheck();
    p.sizes = {1000};
    QVERIFY(!message(p).isEmpty());
    p = smallSanityCheck();
    p.inits = {basis::BasisInit::Random};
    QVERIFY(message(p).contains("qr or svd"));
    p = smallSanityCheck();
    p.baselineWeights = dir.filePath("missing.pth");
    QVERIFY(message(p).contains("missing.pth"));
    QVERIFY(!QFile::exists(dir.filePath("exp")));
}

QTEST_GUILESS_MAIN(TestSkipTraining)
#include "test_skip_training.moc"
