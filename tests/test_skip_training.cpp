// Training with skip (paper A §4.2): basis convs for the first epochs, composed back, schedule untouched.
#include <QtTest>

#include <QTemporaryDir>

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

QTEST_GUILESS_MAIN(TestSkipTraining)
#include "test_skip_training.moc"
