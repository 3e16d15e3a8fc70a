// ranklab-cli's contract: JSON on stdout, exit 0 / 1 (runtime) / 2 (usage), one-sentence errors.
#include <QtTest>

#include <QJsonArray>
#include <QTemporaryDir>

#include "core/io/atomic_file.h"
#include "tests/cli_process.h"

namespace {
using ranklab::testing::lastJsonLine;
using ranklab::testing::oneClearSentence;
using ranklab::testing::runCli;
using Result = ranklab::testing::CliResult;
} // namespace

class TestCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionAndHelp();
    void infoJson();
    void usageErrorsExitTwo_data();
    void usageErrorsExitTwo();
    void runtimeErrorsExitOne_data();
    void runtimeErrorsExitOne();
    void trainEvalExport();
    void costAndBasisTrainContract();
    void parameterFiles();
    void schemaIsWhatHelpShows();
    void rerunReproducesTrainingAndBasisTraining();
};

void TestCli::versionAndHelp()
{
    const Result v = runCli({"--version"});
    QCOMPARE(v.code, 0);
    QVERIFY(v.out.startsWith("ranklab-cli 0."));
    for (const char* command : {"info", "train", "eval", "export"}) {
        const Result h = runCli({command, "--help"});
        QCOMPARE(h.code, 0);
        QVERIFY2(h.out.contains("Usage: ranklab-cli"), command);
    }
}

void TestCli::infoJson()
{
    const Result r = runCli({"info", "--model", "cifar_resnet18", "--width", "0.25", "--in-channels", "1", "--input-size", "28", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject info = lastJsonLine(r.out);
    QCOMPARE(info.value("model").toString(), QStringLiteral("cifar_resnet18"));
    const QJsonArray layers = info.value("layers").toArray();
    QCOMPARE(layers.size(), 21);
    const QJsonObject l8 = layers[7].toObject();
    QCOMPARE(l8.value("index").toInt(), 8);
    QCOMPARE(l8.value("name").toString(), QStringLiteral("layer2.0.downsample.0"));
    for (const char* key : {"type", "weight_shape", "in_shape", "out_shape", "params", "flops"})
        QVERIFY2(l8.contains(key), key);
    QVERIFY(info.value("total_params").toDouble() > 0);
    QVERIFY(info.value("total_flops").toDouble() > 0);
}

void TestCli::usageErrorsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no command") << QStringList{} << "Usage";
    QTest::newRow("unknown command") << QStringList{"fly"} << "unknown command 'fly'";
    QTest::newRow("unknown model") << QStringList{"info", "--model", "resnet9000"} << "unknown model 'resnet9000'";
    QTest::newRow("unknown option") << QStringList{"info", "--model", "lenet5", "--colour", "red"} << "no option --colour";
    QTest::newRow("bad number") << QStringList{"train", "--model", "lenet5", "--epochs", "many", "--out", "x"} << "--epochs must be";
    QTest::newRow("missing out") << QStringList{"train", "--model", "lenet5"} << "needs --out";
    QTest::newRow("bad dataset") << QStringList{"train", "--model", "lenet5", "--dataset", "imagenet", "--out", "x"} << "--dataset must be one of";
    QTest::newRow("sanity start") << QStringList{"sanity-check", "--model", "lenet5", "--start", "1.5", "--out", "x"} << "--start";
    QTest::newRow("sanity too short") << QStringList{"sanity-check", "--model", "lenet5", "--epochs", "1", "--out", "x"} << "too short";
    QTest::newRow("sanity random init") << QStringList{"sanity-check", "--model", "lenet5", "--init", "random", "--epochs", "4", "--out", "x"} << "qr or svd";
    QTest::newRow("cuda without CUDA") << QStringList{"info", "--model", "lenet5", "--device", "cuda"} << "LibTorch without CUDA";
    QTest::newRow("not a device") << QStringList{"info", "--model", "lenet5", "--device", "tpu"} << "is not a device";
    QTest::newRow("prune ratio") << QStringList{"prune", "--model", "lenet5", "--weights", "w.pth", "--ratio", "0", "--out", "x"} << "--ratio must be";
}

void TestCli::usageErrorsExitTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result r = runCli(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestCli::runtimeErrorsExitOne_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    static QTemporaryDir dir;
    QTest::newRow("missing data dir") << QStringList{"train", "--model", "lenet5", "--dataset", "mnist", "--data-dir", "/nonexistent/mnist", "--out", dir.filePath("never")}
                                      << "/nonexistent/mnist";
    QTest::newRow("missing weights") << QStringList{"eval", "--model", "lenet5", "--weights", "/nonexistent/w.pth"} << "/nonexistent/w.pth";
    QTest::newRow("unwritable out") << QStringList{"train", "--model", "lenet5", "--out", "/proc/version/run"} << "cannot write to /proc/version/run";
    QTest::newRow("vgg on 28x28") << QStringList{"info", "--model", "vgg11", "--input-size", "28"} << "too small";
}

void TestCli::runtimeErrorsExitOne()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result r = runCli(args);
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, message.toUtf8().constData()), r.err.constData());
}

void TestCli::trainEvalExport()
{
    QTemporaryDir dir;
    const QString run = dir.filePath("run");
    const Result t = runCli({"train", "--model", "lenet300", "--subset", "600", "--test-subset", "300", "--epochs", "1",
                          "--lr", "0.05", "--threads", "1", "--out", run, "--json"});
    QVERIFY2(t.code == 0, t.err.constData());
    const QJsonObject summary = lastJsonLine(t.out);
    QCOMPARE(summary.value("status").toString(), QStringLiteral("completed"));
    QVERIFY(t.err.contains("epoch 1/1")); // progress goes to stderr
    // Re-running the same command on the finished folder is refused without --resume, a no-op with it.
    QCOMPARE(runCli({"train", "--model", "lenet300", "--subset", "600", "--test-subset", "300", "--epochs", "1", "--lr", "0.05",
                  "--out", run}).code, 1);
    QCOMPARE(runCli({"train", "--model", "lenet300", "--subset", "600", "--test-subset", "300", "--epochs", "1", "--lr", "0.05",
                  "--out", run, "--resume", "--json"}).code, 0);

    const QString predictions = dir.filePath("pred.csv");
    const Result e = runCli({"eval", "--model", "lenet300", "--weights", run + "/model.rlk", "--test-subset", "300",
                          "--predictions", predictions, "--json"});
    QVERIFY2(e.code == 0, e.err.constData());
    const QJsonObject eval = lastJsonLine(e.out);
    QCOMPARE(eval.value("samples").toInt(), 300);
    // eval reproduces the trainer's final test accuracy on the same split.
    QVERIFY(qAbs(eval.value("top1").toDouble() - summary.value("final_test_top1").toDouble()) < 1e-9);
    for (const char* key : {"top1", "top5", "loss"})
        QVERIFY(eval.contains(key));
    QFile csv(predictions);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = csv.readAll().trimmed().split('\n');
    QCOMPARE(rows.size(), 301);
    QVERIFY(rows.first().startsWith("index,label,predicted,logit_0"));
    QCOMPARE(rows[1].split(',').size(), 13);

    // Weights of another architecture: one sentence, exit 1.
    const Result wrong = runCli({"eval", "--model", "lenet5", "--weights", run + "/model.rlk", "--test-subset", "300"});
    QCOMPARE(wrong.code, 1);
    QVERIFY2(oneClearSentence(wrong.err, "does not fit"), wrong.err.constData());

    const QString pth = dir.filePath("lenet300.pth");
    const Result x = runCli({"export", "--model", "lenet300", "--weights", run + "/model.rlk", "--out", pth});
    QVERIFY2(x.code == 0, x.err.constData());
    QVERIFY(QFile::exists(pth));
    // The export loads back as weights, giving the same accuracy.
    const Result back = runCli({"eval", "--model", "lenet300", "--weights", pth, "--test-subset", "300", "--json"});
    QCOMPARE(back.code, 0);
    QCOMPARE(lastJsonLine(back.out).value("top1").toDouble(), eval.value("top1").toDouble());

    // basis-train --init-from weights of another architecture: one sentence, exit 1, nothing written.
    const QString basisRun = dir.filePath("basis");
    const Result other = runCli({"basis-train", "--model", "cifar_resnet18", "--width", "0.125", "--layers", "4", "--size", "0.5",
                              "--skip", "1", "--epochs", "2", "--subset", "200", "--init-from", run + "/model.rlk", "--out", basisRun});
    QCOMPARE(other.code, 1);
    QVERIFY2(oneClearSentence(other.err, "does not fit"), other.err.constData());
    QVERIFY(!QFile::exists(basisRun + "/params.json"));
    // Pruning an MLP: nothing to prune, said in one sentence.
    const Result mlp = runCli({"prune", "--model", "lenet300", "--weights", run + "/model.rlk", "--test-subset", "300",
                            "--out", dir.filePath("pruned")});
    QCOMPARE(mlp.code, 1);
    QVERIFY2(oneClearSentence(mlp.err, "no convolution that filter pruning can narrow"), mlp.err.constData());
    QVERIFY(!QFile::exists(dir.filePath("pruned")));
}

void TestCli::costAndBasisTrainContract()
{
    const Result c = runCli({"cost", "--model", "cifar_resnet18", "--size", "0.25", "--beta", "0.3", "--json"});
    QVERIFY2(c.code == 0, c.err.constData());
    const QJsonArray layers = lastJsonLine(c.out).value("layers").toArray();
    QCOMPARE(layers.size(), 20); // one entry per conv layer
    QVERIFY(!layers.first().toObject().isEmpty());

    QTemporaryDir dir;
    const QString out = dir.filePath("run");
    // Usage errors (exit 2): size out of range, skip beyond the epochs.
    QCOMPARE(runCli({"basis-train", "--model", "cifar_resnet18", "--layers", "4", "--size", "0", "--skip", "1", "--epochs", "2", "--out", out}).code, 2);
    QCOMPARE(runCli({"basis-train", "--model", "cifar_resnet18", "--layers", "4", "--size", "0.5", "--skip", "3", "--epochs", "2", "--out", out}).code, 2);
    // A linear layer is not a conv: a usage error found once the model is known (exit 2, one sentence and
    // the --help hint), and no run left behind.
    const Result fc = runCli({"basis-train", "--model", "cifar_resnet18", "--width", "0.125", "--layers", "21", "--size", "0.5",
                           "--skip", "1", "--epochs", "2", "--subset", "200", "--out", out});
    QCOMPARE(fc.code, 2);
    QVERIFY2(fc.err.contains("not a Conv2d") && fc.err.contains("--help") && !fc.err.contains("error:"), fc.err.constData());
    QVERIFY(!QFile::exists(out + "/params.json"));
}

namespace {
QString writeParams(const QTemporaryDir& dir, const QString& name, const QByteArray& json)
{
    const QString path = dir.filePath(name);
    ranklab::io::writeFileAtomic(path, json);
    return path;
}
} // namespace

// `--params FILE` (README walk-throughs, resources/examples/): the file's options are used as if typed, the
// command line wins, and a file for another command, with an unknown option or a non-flag value for a
// flag is refused before anything runs.
void TestCli::parameterFiles()
{
    QTemporaryDir dir;
    const QString run = dir.filePath("run");
    const QString file = writeParams(dir, "train.json", QStringLiteral(R"({"ranklab_params": 1, "command": "train",
        "options": {"model": "lenet5", "subset": 300, "test-subset": 200, "epochs": 1, "lr": 0.02, "threads": 1,
                    "deterministic": true, "quiet": false, "out": "%1"}})").arg(run).toUtf8());
    const Result t = runCli({"train", "--params", file, "--epochs", "2", "--json"});
    QVERIFY2(t.code == 0, t.err.constData());
    QCOMPARE(lastJsonLine(t.out).value("epochs_done").toInt(), 2); // the command line wins over the file
    const QJsonObject p = ranklab::io::readJsonObject(run + "/params.json").value("params").toObject();
    QCOMPARE(p.value("epochs").toInt(), 2);
    QCOMPARE(p.value("lr").toDouble(), 0.02);             // from the file
    QCOMPARE(p.value("deterministic").toBool(), true);    // a flag written as true
    QCOMPARE(p.value("data").toObject().value("subset").toInt(), 300);
    QCOMPARE(p.value("model").toObject().value("name").toString(), QStringLiteral("lenet5"));

    // Refusals: exit 2 (usage) or 1 (unreadable file), one sentence, no run folder.
    const QString never = dir.filePath("never");
    const QString out = QStringLiteral("\"out\": \"%1\"").arg(never);
    struct Bad {
        QString json;
        int code;
        const char* message;
    };
    const QList<Bad> bad{
        {QStringLiteral(R"({"ranklab_params": 1, "command": "sweep", "options": {"model": "lenet5", %1}})").arg(out), 2,
         "is a parameter file for 'sweep', not 'train'"},
        {QStringLiteral(R"({"ranklab_params": 1, "command": "train", "options": {"model": "lenet5", "colour": "red", %1}})").arg(out), 2,
         "'train' has no option --colour"},
        {QStringLiteral(R"({"ranklab_params": 1, "command": "train", "options": {"model": "lenet5", "quiet": "yes", %1}})").arg(out), 2,
         "--quiet is a flag"},
        {QStringLiteral(R"({"command": "train", "options": {"model": "lenet5", %1}})").arg(out), 1, "is not a RankLab parameter file"},
        {QStringLiteral(R"({"ranklab_params": 1, "command": "train", "options": {"model": {"name": "lenet5"}, %1}})").arg(out), 1,
         "option \"model\" must be a string"},
        {QStringLiteral(R"({"ranklab_params": 1, "command": )"), 1, "is not a valid JSON object"},
        {QStringLiteral(R"({"ranklab_params": 1, "options": {"model": "lenet5", %1}})").arg(out), 1, "names no \"command\""},
        {QStringLiteral(R"({"ranklab_params": 1, "command": "train", "options": {"--epochs": 2, %1}})").arg(out), 1,
         "\"--epochs\" is not an option name"},
        {QStringLiteral(R"({"ranklab_params": 1, "command": "train", "options": ["model", "lenet5"]})"), 1,
         "\"options\" must be a JSON object"},
    };
    for (int i = 0; i < bad.size(); ++i) {
        const QString path = writeParams(dir, QStringLiteral("bad%1.json").arg(i), bad[i].json.toUtf8());
        const Result r = runCli({"train", "--params", path});
        QVERIFY2(r.code == bad[i].code, qPrintable(QStringLiteral("case %1: exit %2: %3").arg(i).arg(r.code).arg(QString::fromUtf8(r.err))));
        QVERIFY2(r.err.contains(bad[i].message), r.err.constData());
        if (bad[i].code == 1)
            QVERIFY2(oneClearSentence(r.err, bad[i].message), r.err.constData());
        QVERIFY(!QFileInfo::exists(never));
    }
    const Result missing = runCli({"train", "--params", dir.filePath("nope.json")});
    QCOMPARE(missing.code, 1);
    QVERIFY2(oneClearSentence(missing.err, "nope.json does not exist"), missing.err.constData());
}

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"

void TestCli::schemaIsWhatHelpShows()
{
    // `schema --json` lists every command; each command's --help shows every declared option with the
    // declared default — one declaration, two views that cannot disagree.
    const Result s = runCli({"schema", "--json"});
    QVERIFY2(s.code == 0, s.err.constData());
    const QJsonObject schema = QJsonDocument::fromJson(s.out).object();
    const QJsonArray commands = schema.value("commands").toArray();
    QStringList names;
    for (const QJsonValue& c : commands)
        names << c.toObject().value("command").toString();
    QCOMPARE(names, (QStringList{"info", "train", "eval", "export", "basis-train", "sanity-check", "prune", "cost", "sweep", "groups",
                                 "pareto", "proxy-sweep", "spectrum", "ron", "sweep-unit", "status", "cancel", "resubmit"}));
    const Result usage = runCli({"--help"});
    for (const QString& name : names)
        QVERIFY2(usage.out.contains("  " + name.toUtf8() + " "), qPrintable(name));
    for (const QJsonValue& c : commands) {
        const QString command = c.toObject().value("command").toString();
        const Result h = runCli({command, "--help"});
        QCOMPARE(h.code, 0);
        const QList<QByteArray> lines = h.out.split('\n');
        for (const QJsonValue& pv : c.toObject().value("params").toArray()) {
            const QJsonObject p = pv.toObject();
            const QByteArray option = "--" + p.value("name").toString().toUtf8();
            QByteArray text; // the option's line and its continuation
            for (int i = 0; i < lines.size(); ++i)
                if (lines[i].startsWith("  " + option + " ") || lines[i] == "  " + option) {
                    text = lines[i] + (i + 1 < lines.size() ? lines[i + 1] : QByteArray());
                    break;
                }
            QVERIFY2(!text.isEmpty(), qPrintable(command + QStringLiteral(" ") + QString::fromUtf8(option)));
            if (p.contains("default"))
                QVERIFY2(text.contains("(default: " + p.value("default").toString().toUtf8() + ")"),
                         qPrintable(command + QStringLiteral(" ") + QString::fromUtf8(text)));
        }
    }
    // One command's schema; an unknown one is a usage error.
    const Result one = runCli({"schema", "ron", "--json"});
    QCOMPARE(QJsonDocument::fromJson(one.out).object().value("commands").toArray().size(), 1);
    QCOMPARE(runCli({"schema", "nope"}).code, 2);
}

void TestCli::rerunReproducesTrainingAndBasisTraining()
{
    QTemporaryDir dir;
    const QString run = dir.filePath("train");
    const Result t = runCli({"train", "--model", "lenet300", "--subset", "600", "--test-subset", "300", "--epochs", "1", "--lr", "0.05",
                             "--threads", "1", "--seed", "7", "--out", run, "--json", "--quiet"});
    QVERIFY2(t.code == 0, t.err.constData());
    // job.json is a parameter file: the command, its options, no presentation options, no run folder.
    const QJsonObject job = ranklab::io::readJsonObject(run + "/job.json");
    QCOMPARE(job.value("command").toString(), QStringLiteral("train"));
    QCOMPARE(job.value("options").toObject().value("seed").toString(), QStringLiteral("7"));
    QVERIFY(!job.value("options").toObject().contains("json"));
    QVERIFY(!job.value("options").toObject().contains("out"));

    const Result r = runCli({"rerun", run, "--out", dir.filePath("again"), "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(lastJsonLine(r.out).value("final_test_top1").toDouble(), lastJsonLine(t.out).value("final_test_top1").toDouble());
    QCOMPARE(lastJsonLine(r.out).value("final_test_loss").toDouble(), lastJsonLine(t.out).value("final_test_loss").toDouble());
    // Without --out the re-run goes next to the original, which stays untouched.
    const Result sibling = runCli({"rerun", run, "--quiet"});
    QVERIFY2(sibling.code == 0, sibling.err.constData());
    QVERIFY(QFile::exists(run + "-rerun/summary.json"));
    QVERIFY(sibling.out.contains("run folder " + (run + "-rerun").toUtf8()));
    // --continue on a finished run is a no-op resume.
    QCOMPARE(runCli({"rerun", run, "--continue", "--quiet"}).code, 0);
    // A folder without job.json: one sentence, exit 1; a bad option: exit 2.
    const Result none = runCli({"rerun", dir.path()});
    QCOMPARE(none.code, 1);
    QVERIFY2(oneClearSentence(none.err, "holds no job.json"), none.err.constData());
    QCOMPARE(runCli({"rerun", run, "--continue", "--out", dir.filePath("x")}).code, 2);

    const QString basis = dir.filePath("basis");
    const Result b = runCli({"basis-train", "--model", "lenet5", "--layers", "1,2", "--size", "0.5", "--skip", "1", "--epochs", "2",
                             "--subset", "400", "--test-subset", "200", "--threads", "1", "--out", basis, "--json", "--quiet"});
    QVERIFY2(b.code == 0, b.err.constData());
    const Result rb = runCli({"rerun", basis, "--out", dir.filePath("basis2"), "--json", "--quiet"});
    QVERIFY2(rb.code == 0, rb.err.constData());
    for (const char* key : {"final_test_top1", "final_test_loss", "basis_params", "full_params"})
        QCOMPARE(lastJsonLine(rb.out).value(key).toDouble(), lastJsonLine(b.out).value(key).toDouble());
}
