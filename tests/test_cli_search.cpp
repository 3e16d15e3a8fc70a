// ranklab-cli sweep / groups / pareto / proxy-sweep: JSON on stdout, exit codes, one-sentence errors, CSV
// export, resume, and the L > 24 refusal of exhaustive enumeration.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>
#include <QTemporaryDir>

#include "core/io/atomic_file.h"
#include "tests/cli_process.h"

namespace {
using ranklab::testing::lastJsonLine;
using ranklab::testing::oneClearSentence;
using ranklab::testing::runCli;
using Result = ranklab::testing::CliResult;

/// A usage error (exit 2): the command's one sentence, then the hint to --help.
bool usageSentence(const QByteArray& err, const char* mustContain)
{
    const QList<QByteArray> lines = err.trimmed().split('\n');
    return lines.size() == 2 && lines[0].contains(mustContain) && lines[0].trimmed().endsWith('.') && lines[1].contains("--help");
}

QStringList tinyOptions(const QString& out)
{
    return {"--model", "cifar_resnet18", "--width", "0.125", "--subset", "200", "--test-subset", "100", "--epochs", "1",
            "--batch-size", "50", "--lr", "0.05", "--threads", "1", "--seed", "2", "--size", "0.5", "--quiet", "--out", out};
}

/// A proxy-sweep folder written by hand with `layers` entries (what loadSweep reads), to test the Pareto
/// command on a large L without training.
void writeFakeProxySweep(const QString& dir, int layers)
{
    using ranklab::io::writeJsonAtomic;
    const QJsonObject train{{"model", QJsonObject{{"name", "cifar_resnet18"}}}, {"epochs", 1}};
    QJsonArray entries;
    for (int i = 1; i <= layers; ++i)
        entries.append(QJsonObject{{"index", i}, {"name", QStringLiteral("conv%1").arg(i)}, {"layers", QJsonArray{i}},
                                   {"run_dir", QStringLiteral("proxy/layer-%1.json").arg(i)}});
    writeJsonAtomic(QDir(dir).filePath("sweep.json"),
                    QJsonObject{{"kind", "proxy-sweep"}, {"model", QJsonObject{{"name", "cifar_resnet18"}, {"width", 1.0}}},
                                {"basis", QJsonObject{{"size", 0.5}}}, {"epochs", 1}, {"skip_epochs", 1},
                                {"params", QJsonObject{{"train", train}}}, {"entries", entries}});
    writeJsonAtomic(QDir(dir).filePath("baseline/params.json"), QJsonObject{{"kind", "train"}, {"params", train}, {"job", QJsonObject{}}});
    writeJsonAtomic(QDir(dir).filePath("baseline/summary.json"),
                    QJsonObject{{"status", "completed"}, {"final_test_top1", 0.9}, {"final_test_loss", 0.3},
                                {"train_seconds", 100.0}, {"params", 100000.0}});
    writeJsonAtomic(QDir(dir).filePath("proxy/baseline.json"), QJsonObject{{"accuracy", 0.9}, {"loss", 0.3}});
    for (int i = 1; i <= layers; ++i)
        writeJsonAtomic(QDir(dir).filePath(QStringLiteral("proxy/layer-%1.json").arg(i)),
                        QJsonObject{{"accuracy", 0.9 - 0.001 * ((i * 7) % 13)}, {"loss", 0.3 + 0.01 * i},
                                    {"seconds", 100.0 - 0.5 * ((i * 5) % 9) + 1.0}, {"params", 100000.0 - 100 * i},
                                    {"reconstruction_error", 0.1}});
}
} // namespace

class TestCliSearch final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void helpAndUsageErrors();
    void sweepParetoAndResume();
    void groupsJson();
    void processExecutorIsolatesUnits();
    void pruningMethodFeedsSensitivityAndFront();
    void paretoOnLargeL();
    void paretoRefusesWhatIsNotASweep();
    void sweepOfAPrunedNetwork();
};

void TestCliSearch::helpAndUsageErrors()
{
    for (const char* command : {"sweep", "groups", "pareto", "proxy-sweep"}) {
        const Result h = runCli({command, "--help"});
        QCOMPARE(h.code, 0);
        QVERIFY2(h.out.contains("Usage: ranklab-cli"), command);
    }
    QTemporaryDir tmp;
    Result r = runCli({"groups", "--model", "cifar_resnet18", "--size", "0.5", "--out", tmp.filePath("g")});
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "--group"), r.err.constData());
    r = runCli({"groups", "--model", "cifar_resnet18", "--size", "0.5", "--group", "light", "--out", tmp.filePath("g")});
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "NAME=LAYERS"), r.err.constData());
    r = runCli({"pareto", "--sweep", tmp.path(), "--objective", "speed"});
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "known objectives: time, size"), r.err.constData());
    r = runCli({"sweep", "--model", "cifar_resnet18", "--size", "0", "--out", tmp.filePath("s")});
    QCOMPARE(r.code, 2);
    r = runCli(QStringList{"sweep", "--layers", "21"} + tinyOptions(tmp.filePath("s")));
    QCOMPARE(r.code, 2); // judged once the model is known, still a usage error
    QVERIFY2(usageSentence(r.err, "is a Linear"), r.err.constData());
    r = runCli(QStringList{"sweep", "--seeds", "0"} + tinyOptions(tmp.filePath("s")));
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "--seeds"), r.err.constData());
    QVERIFY(!QFile::exists(tmp.filePath("s")));
}

void TestCliSearch::sweepParetoAndResume()
{
    QTemporaryDir tmp;
    const QString out = tmp.filePath("sweep");
    Result r = runCli(QStringList{"sweep", "--layers", "2,3", "--json"} + tinyOptions(out));
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject sweep = lastJsonLine(r.out);
    QCOMPARE(sweep.value("kind").toString(), QStringLiteral("sweep"));
    const QJsonArray entries = sweep.value("entries").toArray();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries[1].toObject().value("name").toString(), QStringLiteral("layer1.0.conv2"));
    QVERIFY(QFile::exists(QDir(out).filePath("sensitivity.csv")));

    // The same command again: the folder holds a sweep, which continues only with --resume.
    r = runCli(QStringList{"sweep", "--layers", "2,3"} + tinyOptions(out));
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "--resume"), r.err.constData());
    r = runCli(QStringList{"sweep", "--layers", "2,3", "--resume", "--json"} + tinyOptions(out));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(lastJsonLine(r.out).value("entries").toArray(), entries);
    // `rerun` runs the sweep again from its job.json into a new folder: the same accuracies (same seed).
    r = runCli({"rerun", out, "--out", tmp.filePath("again"), "--json", "--quiet"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray again = lastJsonLine(r.out).value("entries").toArray();
    QCOMPARE(again.size(), entries.size());
    for (int i = 0; i < again.size(); ++i)
        QCOMPARE(again[i].toObject().value("accuracy").toDouble(), entries[i].toObject().value("accuracy").toDouble());
    QCOMPARE(lastJsonLine(r.out).value("baseline").toObject().value("accuracy").toDouble(),
             sweep.value("baseline").toObject().value("accuracy").toDouble());
    // Another size into the same folder is refused.
    QStringList other = tinyOptions(out);
    other[other.indexOf("--size") + 1] = "0.25";
    r = runCli(QStringList{"sweep", "--layers", "2,3", "--resume"} + other);
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "basis size 0.5"), r.err.constData());

    const QString csv = tmp.filePath("front.csv");
    r = runCli({"pareto", "--sweep", out, "--objective", "size", "--rule", "sum", "--max-drop", "1", "--estimate", "2,3",
             "--csv", csv, "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject pareto = lastJsonLine(r.out);
    QVERIFY(pareto.value("baseline").toObject().contains("accuracy"));
    // A one-seed sweep cannot tell noise from signal, and the front says so before anything else.
    QVERIFY(!pareto.value("separates").toBool(true));
    QVERIFY2(pareto.value("verdict").toString().contains("one seed"), qPrintable(pareto.value("verdict").toString()));
    const QJsonArray front = pareto.value("front").toArray();
    QVERIFY(!front.isEmpty());
    for (const QJsonValue& p : front)
        for (const char* key : {"layers", "acc_drop", "time", "size"})
            QVERIFY2(p.toObject().contains(key), key);
    // Both layers shrink the model, so the smallest point uses both; with a 100-point budget it is the answer.
    QCOMPARE(front[0].toObject().value("layers").toArray(), (QJsonArray{2, 3}));
    QCOMPARE(pareto.value("best_under_max_drop").toObject().value("layers").toArray(), (QJsonArray{2, 3}));
    const QJsonObject estimate = pareto.value("estimate").toObject();
    QCOMPARE(estimate.value("sum").toObject().value("size").toDouble(), front[0].toObject().value("size").toDouble());
    QVERIFY(estimate.value("mean").toObject().value("size").toDouble() > estimate.value("sum").toObject().value("size").toDouble());
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().count('\n'), int(front.size()) + 1);

    // --layers-only prints just that choice, for scripts (README walk-through A); without a limit, or when
    // no combination with layers meets it, it refuses.
    r = runCli({"pareto", "--sweep", out, "--objective", "size", "--rule", "sum", "--max-drop", "1", "--layers-only"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("2,3\n"));
    QVERIFY2(r.err.contains("one seed"), r.err.constData()); // the doubt on stderr, where scripts do not read
    r = runCli({"pareto", "--sweep", out, "--layers-only"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--layers-only prints the choice of --max-drop or --max-cost"), r.err.constData());
    r = runCli({"pareto", "--sweep", out, "--objective", "size", "--max-cost", "-1", "--layers-only"});
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "no combination of layers meets the --max-cost limit"), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestCliSearch::pruningMethodFeedsSensitivityAndFront()
{
    // The layer search sweeps any layer method: L1 filter pruning (Li et al. 2016's sensitivity analysis)
    // gives a sensitivity per layer in the sweep format, and the same Pareto front reads it.
    QTemporaryDir tmp;
    const QString out = tmp.filePath("prune");
    QStringList options = tinyOptions(out);
    options.removeAt(options.indexOf("--size") + 1);
    options.removeAll("--size");
    Result r = runCli(QStringList{"proxy-sweep", "--method", "prune", "--ratio", "0.5", "--layers", "all", "--eval-images", "100",
                                  "--json"} + options);
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject sweep = lastJsonLine(r.out);
    QCOMPARE(sweep.value("method").toObject().value("id").toString(), QStringLiteral("prune"));
    QCOMPARE(sweep.value("method").toObject().value("title").toString(), QStringLiteral("L1 filter pruning, ratio 0.5")); // the plot's title
    const QJsonArray entries = sweep.value("entries").toArray();
    // ResNet-18: only the first conv of each of the 8 blocks can be pruned (the others feed residual sums);
    // "all" leaves the rest out (and says so in the log).
    QCOMPARE(entries.size(), 8);
    const double baseParams = sweep.value("baseline").toObject().value("params").toDouble();
    for (const QJsonValue& v : entries) {
        const QJsonObject e = v.toObject();
        QVERIFY(e.value("params").toDouble() < baseParams); // every pruned layer removes parameters
        const double err = e.value("reconstruction_error").toDouble();
        QVERIFY(err > 0 && err < 1);
        QVERIFY(e.value("seconds").toDouble() < sweep.value("baseline").toObject().value("seconds").toDouble());
    }
    // A trained LeNet-5 (68 % on this subset): pruning costs accuracy before any retraining (the post-hoc proxy),
    // and the front trades it for size.
    const QString lenet = tmp.filePath("prune-lenet5");
    r = runCli({"proxy-sweep", "--method", "prune", "--ratio", "0.5", "--proxy", "posthoc", "--model", "lenet5", "--subset", "1000", "--test-subset", "300",
                "--epochs", "3", "--batch-size", "32", "--lr", "0.05", "--threads", "1", "--eval-images", "200", "--quiet", "--out",
                lenet, "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray lenetEntries = lastJsonLine(r.out).value("entries").toArray();
    QCOMPARE(lenetEntries.size(), 2);
    double largestDrop = 0;
    for (const QJsonValue& v : lenetEntries)
        largestDrop = std::max(largestDrop, v.toObject().value("acc_drop").toDouble());
    QVERIFY(largestDrop > 0);
    r = runCli({"pareto", "--sweep", lenet, "--objective", "size", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(lastJsonLine(r.out).value("front").toArray().size() >= 2);
    // A layer the method cannot change, asked for by index, is refused in one sentence (exit 2); the basis
    // method still needs its size.
    r = runCli(QStringList{"proxy-sweep", "--method", "prune", "--layers", "3"} + tinyOptions(tmp.filePath("x")));
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "feeds a residual sum"), r.err.constData());
    r = runCli(QStringList{"proxy-sweep", "--layers", "2"} + options);
    QCOMPARE(r.code, 2);
    QVERIFY2(usageSentence(r.err, "needs --size"), r.err.constData());
}

void TestCliSearch::groupsJson()
{
    QTemporaryDir tmp;
    const Result r = runCli(QStringList{"groups", "--group", "light=2-3", "--group=heavy=4", "--json"} + tinyOptions(tmp.filePath("g")));
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject g = lastJsonLine(r.out);
    QCOMPARE(g.value("kind").toString(), QStringLiteral("groups"));
    const QJsonArray entries = g.value("entries").toArray();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries[0].toObject().value("name").toString(), QStringLiteral("light"));
    QCOMPARE(entries[0].toObject().value("layers").toArray(), (QJsonArray{2, 3}));
    QCOMPARE(entries[1].toObject().value("run_dir").toString(), QStringLiteral("group-heavy"));
    // A groups front speaks of groups, and --layers-only gives the conv layers they stand for (what basis-train
    // --layers reads), not group numbers.
    Result p = runCli({"pareto", "--sweep", tmp.filePath("g"), "--objective", "size", "--max-drop", "1", "--layers-only"});
    QVERIFY2(p.code == 0, p.err.constData());
    QCOMPARE(p.out, QByteArray("2,3,4\n")); // both groups shrink the model; the union of light=2-3 and heavy=4
    p = runCli({"pareto", "--sweep", tmp.filePath("g"), "--objective", "size", "--max-drop", "1"});
    QVERIFY2(p.code == 0, p.err.constData());
    QVERIFY2(p.out.contains("{light,heavy}"), p.out.constData());
    QVERIFY2(p.out.contains("estimates by the sum rule"), p.out.constData());
    p = runCli({"pareto", "--sweep", tmp.filePath("g"), "--objective", "size", "--max-drop", "1", "--json"});
    QCOMPARE(lastJsonLine(p.out).value("best_under_max_drop").toObject().value("conv_layers").toArray(), (QJsonArray{2, 3, 4}));
}

namespace {
double unitAccuracy(const QString& sweep, const QString& run)
{
    QFile f(QDir(sweep).filePath(run + "/summary.json"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return QJsonDocument::fromJson(f.readAll()).object().value("final_test_top1").toDouble(-1);
}
} // namespace

void TestCliSearch::processExecutorIsolatesUnits()
{
    // --executor processes: a child process per unit, two at once, one intra-op thread each — the same accuracies as
    // the in-process sweep with one thread (the units are the same computations).
    QTemporaryDir tmp;
    const QStringList lenet{"sweep", "--model", "lenet5", "--subset", "300", "--test-subset", "100", "--epochs", "1", "--batch-size", "32",
                            "--lr", "0.05", "--size", "0.5", "--layers", "1-2", "--seeds", "2", "--quiet"};
    Result r = runCli(lenet + QStringList{"--executor", "processes", "--workers", "2", "--threads", "2", "--out", tmp.filePath("proc")});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("sensitivity table"), r.out.constData());
    r = runCli(lenet + QStringList{"--threads", "1", "--out", tmp.filePath("local")});
    QVERIFY2(r.code == 0, r.err.constData());
    for (const QString run : {"baseline", "baseline-seed2", "layer-01", "layer-01-seed2", "layer-02", "layer-02-seed2"}) {
        const double a = unitAccuracy(tmp.filePath("proc"), run);
        QVERIFY2(a >= 0, qPrintable(run));
        QCOMPARE(a, unitAccuracy(tmp.filePath("local"), run));
    }
    QVERIFY(QFileInfo::exists(tmp.filePath("proc/units/logs/unit-0.log")));

    // A job without units of its own runs whole in one child process, with the result it has here.
    const QStringList train{"train", "--model", "lenet5", "--subset", "300", "--test-subset", "100", "--epochs", "1", "--batch-size", "32",
                            "--lr", "0.05", "--threads", "1", "--quiet", "--json"};
    const Result child = runCli(train + QStringList{"--executor", "processes", "--out", tmp.filePath("train-proc")});
    QVERIFY2(child.code == 0, child.err.constData());
    const Result here = runCli(train + QStringList{"--out", tmp.filePath("train-here")});
    QVERIFY2(here.code == 0, here.err.constData());
    QVERIFY(lastJsonLine(child.out).contains("final_test_top1"));
    QCOMPARE(lastJsonLine(child.out).value("final_test_top1").toDouble(), lastJsonLine(here.out).value("final_test_top1").toDouble());
    QVERIFY(QFileInfo::exists(tmp.filePath("train-proc/units/logs/unit-0.log")));

    // A unit whose process dies (SIGKILL, as a crash would) ends only that unit: the others finish, the sweep exits 1
    // naming it with its log, and --resume finishes it.
    const QString dir = tmp.filePath("crash");
    const QStringList big{"sweep", "--model", "lenet5", "--subset", "6000", "--test-subset", "100", "--epochs", "1", "--batch-size", "32",
                          "--lr", "0.05", "--size", "0.5", "--layers", "1-2", "--quiet", "--executor", "processes", "--workers", "2",
                          "--threads", "2", "--out", dir};
    QProcess sweep;
    sweep.start(QStringLiteral(RANKLAB_CLI), big);
    QVERIFY(sweep.waitForStarted());
    const QString victim = QStringLiteral("sweep-unit --sweep %1 --unit 1 ").arg(QDir(dir).absolutePath());
    bool killed = false;
    for (int i = 0; i < 600 && !killed; ++i) {
        QThread::msleep(100);
        if (QFileInfo::exists(dir + "/units/logs/unit-1.log"))
            killed = QProcess::execute("pkill", {"-KILL", "-f", victim}) == 0;
    }
    QVERIFY(killed);
    QVERIFY(sweep.waitForFinished(300000));
    QCOMPARE(sweep.exitCode(), 1);
    const QByteArray err = sweep.readAllStandardError();
    QVERIFY2(oneClearSentence(err, "1 of 3 units did not finish: unit 1"), err.constData());
    QVERIFY2(err.contains("killed") && err.contains("unit-1.log"), err.constData());
    QVERIFY(QFileInfo::exists(dir + "/baseline/summary.json"));
    QVERIFY(QFileInfo::exists(dir + "/layer-02/summary.json"));
    QVERIFY(!QFileInfo::exists(dir + "/layer-01/summary.json"));
    r = runCli(big + QStringList{"--resume"});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(QFileInfo::exists(dir + "/layer-01/summary.json"));
    QVERIFY(QFileInfo::exists(dir + "/sensitivity.json"));
}

void TestCliSearch::paretoOnLargeL()
{
    QTemporaryDir tmp;
    writeFakeProxySweep(tmp.path(), 30);
    Result r = runCli({"pareto", "--sweep", tmp.path(), "--method", "enumerate"});
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "limited to 24 layers"), r.err.constData());
    r = runCli({"pareto", "--sweep", tmp.path(), "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject p = lastJsonLine(r.out);
    QCOMPARE(p.value("method").toString(), QStringLiteral("merge"));
    QCOMPARE(p.value("entries").toInt(), 30);
    QCOMPARE(p.value("sweep_kind").toString(), QStringLiteral("proxy-sweep"));
    QVERIFY(p.value("front").toArray().size() > 1);
}

void TestCliSearch::paretoRefusesWhatIsNotASweep()
{
    QTemporaryDir tmp;
    Result r = runCli({"pareto", "--sweep", tmp.path()});
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "is not a sweep folder"), r.err.constData());
    writeFakeProxySweep(tmp.path(), 3);
    QVERIFY(QFile::remove(QDir(tmp.path()).filePath("baseline/summary.json")));
    r = runCli({"pareto", "--sweep", tmp.path()});
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "no finished baseline"), r.err.constData());
    writeFakeProxySweep(tmp.path(), 3);
    ranklab::io::writeFileAtomic(QDir(tmp.path()).filePath("proxy/layer-2.json"), "not json");
    r = runCli({"pareto", "--sweep", tmp.path(), "--json"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.contains("warning: layer 2 (conv2) is left out"), r.err.constData());
    QCOMPARE(lastJsonLine(r.out).value("entries").toInt(), 2);
}

// A sweep started from a pruned checkpoint sweeps the pruned network: its registry, sweep.json and every run's
// parameters carry the channel plan, so the runs are read back as this sweep's (not "other parameters").
void TestCliSearch::sweepOfAPrunedNetwork()
{
    QTemporaryDir tmp;
    const QStringList data{"--subset", "300", "--test-subset", "100", "--threads", "1", "--quiet"};
    Result r = runCli(QStringList{"train", "--model", "lenet5", "--epochs", "1", "--lr", "0.05", "--out", tmp.filePath("t")} + data);
    QVERIFY2(r.code == 0, r.err.constData());
    r = runCli(QStringList{"prune", "--model", "lenet5", "--weights", tmp.filePath("t/model.rlk"), "--ratio", "0.5",
                           "--finetune-epochs", "0", "--out", tmp.filePath("p")} + data);
    QVERIFY2(r.code == 0, r.err.constData());
    r = runCli(QStringList{"sweep", "--model", "lenet5", "--init-weights", tmp.filePath("p/pruned.rlk"), "--layers", "all",
                           "--epochs", "1", "--lr", "0.01", "--size", "0.5", "--json", "--out", tmp.filePath("s")} + data);
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray entries = lastJsonLine(r.out).value("entries").toArray();
    QCOMPARE(entries.size(), 2);
    for (const QJsonValue& e : entries)
        QVERIFY(e.toObject().value("accuracy").toDouble(-1) >= 0);
    QFile params(tmp.filePath("s/layer-01/params.json"));
    QVERIFY(params.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(params.readAll()).object().value("params").toObject().value("model").toObject().value("channels").toString(),
             QStringLiteral("conv1=3,conv2=8"));
}

QTEST_GUILESS_MAIN(TestCliSearch)
#include "test_cli_search.moc"
