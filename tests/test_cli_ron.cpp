// ranklab-cli spectrum and ron (paper B) on tiny trained models: JSON contracts, the student eval loads,
// and bad input.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>

#include "core/io/atomic_file.h"
#include "tests/cli_process.h"

namespace {
using ranklab::testing::lastJsonLine;
using ranklab::testing::runCli;
using Result = ranklab::testing::CliResult;

const QStringList kData{"--subset", "600", "--test-subset", "300", "--threads", "1"};
} // namespace

class TestCliRon final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString lenet300_, lenet5_;

    /// `eval` loads the student file by the plain model name and measures exactly `top1` on the same data
    /// options (the normalisation comes from the training subset).
    static void evalReproduces(const QString& model, const QString& student, double top1)
    {
        const Result e = runCli(QStringList{"eval", "--model", model, "--weights", student, "--json"} + kData);
        QVERIFY2(e.code == 0, e.err.constData());
        QVERIFY(qAbs(lastJsonLine(e.out).value("top1").toDouble() - top1) < 1e-9);
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("OMP_NUM_THREADS", "1");
        for (const char* model : {"lenet300", "lenet5"}) {
            const QString run = dir_.filePath(QStringLiteral("teacher-%1").arg(model));
            const Result t = runCli(QStringList{"train", "--model", model, "--epochs", "1", "--lr", "0.05", "--out", run, "--quiet"} + kData);
            QVERIFY2(t.code == 0, t.err.constData());
            (QLatin1String(model) == QLatin1String("lenet300") ? lenet300_ : lenet5_) = run + "/model.rlk";
        }
    }

    void spectrumListsSingularValuesAndRanks()
    {
        const QString out = dir_.filePath(QStringLiteral("spectrum"));
        const Result r = runCli(QStringList{"spectrum", "--model", "lenet300", "--weights", lenet300_, "--layers", "1,fc2",
                                            "--samples", "400", "--out", out, "--json"} + kData);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonArray layers = lastJsonLine(r.out).value("layers").toArray();
        QCOMPARE(layers.size(), 2);
        const QJsonObject fc1 = layers[0].toObject();
        QCOMPARE(fc1.value("index").toInt(), 1);
        QCOMPARE(fc1.value("name").toString(), QStringLiteral("fc1"));
        QCOMPARE(fc1.value("dim").toInt(), 300);
        const QJsonArray s = fc1.value("singular_values").toArray();
        QCOMPARE(s.size(), 300);
        for (int i = 1; i < s.size(); ++i)
            QVERIFY(s[i].toDouble() <= s[i - 1].toDouble());
        const int rank = fc1.value("vbmf_rank").toInt();
        QVERIFY2(rank >= 1 && rank < 300, qPrintable(QString::number(rank)));
        QCOMPARE(layers[1].toObject().value("dim").toInt(), 100);
        // `rerun` from the folder's job.json: the same spectra.
        const Result again = runCli({"rerun", out, "--out", out + "-again", "--json", "--quiet"});
        QVERIFY2(again.code == 0, again.err.constData());
        QCOMPARE(lastJsonLine(again.out).value("layers").toArray(), layers);
        QFile csv(out + "/spectrum.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count('\n'), 1 + 300 + 100);
        // Frequent Directions agrees with the exact Gram on the leading singular value.
        const Result fd = runCli(QStringList{"spectrum", "--model", "lenet300", "--weights", lenet300_, "--layers", "1",
                                             "--samples", "400", "--method", "fd", "--sketch-size", "64", "--out",
                                             out + "-fd", "--json"} + kData);
        QVERIFY2(fd.code == 0, fd.err.constData());
        const QJsonObject f = lastJsonLine(fd.out).value("layers").toArray()[0].toObject();
        QCOMPARE(f.value("method").toString(), QStringLiteral("fd"));
        const double top = f.value("singular_values").toArray()[0].toDouble();
        QVERIFY(top <= s[0].toDouble() * (1 + 1e-9) && top > 0.95 * s[0].toDouble());
    }

    void ronBuildsReportsAndSavesAStudentEvalLoads()
    {
        const QString out = dir_.filePath(QStringLiteral("ron-lenet300"));
        const Result r = runCli(QStringList{"ron", "--model", "lenet300", "--weights", lenet300_, "--layers", "1-2", "--rank",
                                            "vbmf", "--samples", "500", "--held-out", "200", "--latency-repeats", "5",
                                            "--finetune-epochs", "1", "--out", out, "--json"} + kData);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject report = lastJsonLine(r.out);
        QCOMPARE(report.value("status").toString(), QStringLiteral("completed"));
        QCOMPARE(report.value("modified_layers").toString(), QStringLiteral("1 to 2"));
        const QJsonArray layers = report.value("layers").toArray();
        QCOMPARE(layers.size(), 2);
        for (const auto& v : layers) {
            const QJsonObject l = v.toObject();
            QVERIFY(l.value("rank").toInt() >= 1 && l.value("rows").toInt() >= l.value("rank").toInt()
                    && l.value("rows").toInt() <= 2 * l.value("rank").toInt());
            // Paper B eq. (19) and (20) hold for the measured quantities.
            QVERIFY(l.value("norm_C").toDouble() <= l.value("bound_eq19").toDouble() + 1e-9);
            QVERIFY(l.value("sampled_rel_error").toDouble() <= l.value("bound_eq20").toDouble() + 1e-9);
        }
        QVERIFY(report.value("range_flop_reduction").toDouble() > 1);
        QVERIFY(report.value("teacher_top1").toDouble() > 0.5);
        QVERIFY(report.value("finetuned_top1").isDouble());
        QVERIFY(report.value("speedup_b1").toDouble() > 0);
        QVERIFY(QFile::exists(out + "/report.json") && QFile::exists(out + "/student.json"));
        // The recorded parameters name the model and data the fine-tuning really used.
        const QJsonObject finetune = ranklab::io::readJsonObject(out + "/params.json").value("finetune").toObject();
        QCOMPARE(finetune.value("model").toObject().value("name").toString(), QStringLiteral("lenet300"));
        QCOMPARE(finetune.value("epochs").toInt(), 1);
        QCOMPARE(finetune.value("data").toObject().value("subset").toInt(),
                 kData.at(kData.indexOf(QStringLiteral("--subset")) + 1).toInt());
        // eval loads the student from the out folder and reproduces the fine-tuned accuracy.
        evalReproduces(QStringLiteral("lenet300"), out + "/student.rlk", report.value("finetuned_top1").toDouble());
        // `rerun` builds the same student again from the folder's job.json (same samples, same seed).
        const Result again = runCli({"rerun", out, "--out", out + "-again", "--json", "--quiet"});
        QVERIFY2(again.code == 0, again.err.constData());
        const QJsonObject second = lastJsonLine(again.out);
        for (const char* key : {"student_top1", "finetuned_top1", "teacher_top1", "student_params"})
            QCOMPARE(second.value(key).toDouble(), report.value(key).toDouble());
        QCOMPARE(second.value("layers").toArray()[0].toObject().value("rank").toInt(), layers[0].toObject().value("rank").toInt());
    }

    void ronOnConvolutionsWithPooling()
    {
        const QString out = dir_.filePath(QStringLiteral("ron-lenet5"));
        const Result r = runCli(QStringList{"ron", "--model", "lenet5", "--weights", lenet5_, "--layers", "conv1-conv2",
                                            "--rank", "factor:2", "--samples", "600", "--held-out", "100",
                                            "--latency-repeats", "0", "--out", out, "--json"} + kData);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject report = lastJsonLine(r.out);
        QCOMPARE(report.value("layers").toArray()[0].toObject().value("rank").toInt(), 6 * 14 * 14 / 2);
        evalReproduces(QStringLiteral("lenet5"), out + "/student.rlk", report.value("student_top1").toDouble());
    }

    // Paper B Table 4: RON on top of a channel-pruned network. The pruned file carries its channel plan, so
    // `ron` builds the narrower teacher from the plain architecture name and samples the pruned activations.
    void ronStacksOnAPrunedModel()
    {
        const QString pruned = dir_.filePath(QStringLiteral("pruned-lenet5"));
        const Result p = runCli(QStringList{"prune", "--model", "lenet5", "--weights", lenet5_, "--ratio", "0.5",
                                            "--finetune-epochs", "0", "--out", pruned, "--quiet"} + kData);
        QVERIFY2(p.code == 0, p.err.constData());
        const QString out = dir_.filePath(QStringLiteral("ron-pruned-lenet5"));
        const Result r = runCli(QStringList{"ron", "--model", "lenet5", "--weights", pruned + "/pruned.rlk", "--layers",
                                            "conv1-conv2", "--rank", "factor:2", "--samples", "600", "--held-out", "100",
                                            "--latency-repeats", "0", "--finetune-epochs", "1", "--out", out, "--json"} + kData);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject report = lastJsonLine(r.out);
        const QJsonArray layers = report.value("layers").toArray();
        // conv1 keeps 3 of 6 filters: its pooled output is 3×14×14, conv2's 8×5×5.
        QCOMPARE(layers[0].toObject().value("dim").toInt(), 3 * 14 * 14);
        QCOMPARE(layers[0].toObject().value("rank").toInt(), 3 * 14 * 14 / 2);
        QCOMPARE(layers[1].toObject().value("dim").toInt(), 8 * 5 * 5);
        // The teacher of the report is the pruned network (the FLOPs prune reported), cheaper than lenet5's
        // 839,600 per image.
        const double prunedFlops = ranklab::io::readJsonObject(pruned + "/report.json").value("flops_after").toDouble();
        QCOMPARE(report.value("teacher_flops").toDouble(), prunedFlops);
        QVERIFY(prunedFlops < 839600);
        evalReproduces(QStringLiteral("lenet5"), out + "/student.rlk", report.value("finetuned_top1").toDouble());
    }

    // MobileNetV2: spectra of inverted residual blocks (run whole) and of a Conv-BN-ReLU6 unit; RON refuses the
    // units its students cannot express (inverted residual blocks, ReLU6) in one sentence each and reduces the classifier.
    void mobilenetSpectraAndWhatRonReduces()
    {
        const QString teacherDir = dir_.filePath(QStringLiteral("teacher-mobilenet"));
        const QStringList model{"--model", "mobilenet_v2", "--width", "0.25"};
        const Result t = runCli(QStringList{"train"} + model + QStringList{"--epochs", "1", "--lr", "0.05", "--out", teacherDir, "--quiet"} + kData);
        QVERIFY2(t.code == 0, t.err.constData());
        const QString weights = teacherDir + "/model.rlk";
        const Result s = runCli(QStringList{"spectrum"} + model + QStringList{"--weights", weights, "--layers", "features.3,features.18.0",
                                            "--samples", "300", "--out", dir_.filePath(QStringLiteral("spectrum-mobilenet")), "--json"} + kData);
        QVERIFY2(s.code == 0, s.err.constData());
        const QJsonArray layers = lastJsonLine(s.out).value("layers").toArray();
        QCOMPARE(layers.size(), 2);
        QCOMPARE(layers[0].toObject().value("name").toString(), QStringLiteral("features.3"));
        QCOMPARE(layers[0].toObject().value("dim").toInt(), 8 * 7 * 7); // 28×28 → stem /2 → block 2 /2; 24·0.25 → 8 channels
        QCOMPARE(layers[1].toObject().value("dim").toInt(), 1280 * 1 * 1);
        const auto ron = [&](const QString& range, const QString& out) {
            return runCli(QStringList{"ron"} + model + QStringList{"--weights", weights, "--layers", range, "--rank", "factor:2",
                                       "--samples", "300", "--held-out", "100", "--latency-repeats", "0", "--out", dir_.filePath(out),
                                       "--json"} + kData);
        };
        const Result block = ron(QStringLiteral("features.3-features.4"), QStringLiteral("ron-mobilenet-block"));
        QVERIFY(block.code != 0);
        QVERIFY2(block.err.contains("not features.3 (InvertedResidual)"), block.err.constData());
        QVERIFY(!QFileInfo::exists(dir_.filePath(QStringLiteral("ron-mobilenet-block/report.json"))));
        const Result relu6 = ron(QStringLiteral("features.18.0-classifier.1"), QStringLiteral("ron-mobilenet-relu6"));
        QVERIFY(relu6.code != 0);
        QVERIFY2(relu6.err.contains("not the ReLU6 (features.18.2)"), relu6.err.constData());
        const Result head = ron(QStringLiteral("classifier.1-classifier.1"), QStringLiteral("ron-mobilenet-head"));
        QVERIFY2(head.code == 0, head.err.constData());
        QCOMPARE(lastJsonLine(head.out).value("status").toString(), QStringLiteral("completed"));
        const Result e = runCli(QStringList{"eval"} + model + QStringList{"--weights", dir_.filePath(QStringLiteral("ron-mobilenet-head/student.rlk")),
                                           "--json"} + kData);
        QVERIFY2(e.code == 0, e.err.constData());
        QVERIFY(qAbs(lastJsonLine(e.out).value("top1").toDouble() - lastJsonLine(head.out).value("student_top1").toDouble()) < 1e-9);
    }

    void badInputIsRefusedAndLeavesNoReport_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("rank 0") << QStringList{"--layers", "1-2", "--rank", "0"} << 2 << "at least 1";
        QTest::newRow("rank above dim") << QStringList{"--layers", "1-2", "--rank", "5000"} << 1 << "5000";
        QTest::newRow("not contiguous") << QStringList{"--layers", "1,3", "--rank", "vbmf"} << 2 << "contiguous";
        // Layer mistakes found once the model is known are usage errors too (exit 2).
        QTest::newRow("reversed") << QStringList{"--layers", "2-1", "--rank", "vbmf"} << 2 << "reversed";
        QTest::newRow("too few samples") << QStringList{"--layers", "1-2", "--rank", "50", "--samples", "20"} << 1 << "samples";
        QTest::newRow("unknown layer") << QStringList{"--layers", "1-fc9", "--rank", "vbmf"} << 2 << "fc9";
        // More held-out images than the test split has was accepted (and silently fewer were used).
        QTest::newRow("held-out beyond the data") << QStringList{"--layers", "1-2", "--rank", "vbmf", "--held-out", "5000"} << 2
                                                  << "--held-out 5000 asks for more images than the 300";
    }
    void badInputIsRefusedAndLeavesNoReport()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const QString out = dir_.filePath(QStringLiteral("bad-%1").arg(QTest::currentDataTag()).replace(' ', '-'));
        const Result r = runCli(QStringList{"ron", "--model", "lenet300", "--weights", lenet300_, "--out", out} + args + kData);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(!QFile::exists(out + "/report.json"));
        QVERIFY(!QFile::exists(out + "/student.rlk"));
    }

    void weightsOfAnotherModelAreRefused()
    {
        const QString out = dir_.filePath(QStringLiteral("bad-weights"));
        const Result r = runCli(QStringList{"ron", "--model", "lenet300", "--weights", lenet5_, "--layers", "1-2", "--out", out} + kData);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("does not fit"), r.err.constData());
        QVERIFY(!QDir(out).exists());
        const Result s = runCli(QStringList{"spectrum", "--model", "lenet5", "--weights", lenet300_, "--out", out} + kData);
        QCOMPARE(s.code, 1);
        QVERIFY(!QDir(out).exists());
    }
};

QTEST_GUILESS_MAIN(TestCliRon)
#include "test_cli_ron.moc"
