// Reliability of ranklab-cli under hostile conditions (issue 15): kill -9 at random points and --resume,
// two processes on one run folder, a full disk, a diverged run retried in place, a model too large for the
// machine, and usage errors that can only be judged once the model or the data are known.
//
// The crash tests draw their kill times from a seed printed in the log (RANKLAB_CRASH_SEED=N repeats a run).
#include <QtTest>

#include <csignal>

#include <QBuffer>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QImage>
#include <QTemporaryDir>

#include <zlib.h>

#include "core/io/atomic_file.h"
#include "tests/cli_process.h"

namespace {
using ranklab::testing::lastJsonLine;
using ranklab::testing::oneClearSentence;
using ranklab::testing::runCli;
using Result = ranklab::testing::CliResult;

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// A usage error: exit 2, the sentence (containing `part`, ending with a period) then the --help hint.
bool usageSentence(const Result& r, const char* part)
{
    const QList<QByteArray> lines = r.err.trimmed().split('\n');
    return r.code == 2 && lines.size() >= 2 && lines[lines.size() - 2].contains(part)
           && lines[lines.size() - 2].trimmed().endsWith('.') && lines.last().contains("--help");
}

/// A small Fashion-MNIST training of a few seconds over six epochs (a checkpoint after each, ~0.6 s apart).
QStringList smallTrain(const QString& out)
{
    return {"train", "--model", "lenet5", "--subset", "4000", "--test-subset", "500", "--epochs", "6",
            "--batch-size", "50", "--lr", "0.05", "--threads", "1", "--seed", "3", "--out", out};
}

QStringList tinySweep(const QString& out)
{
    return {"sweep", "--model", "cifar_resnet18", "--width", "0.125", "--subset", "200", "--test-subset", "100", "--epochs",
            "2", "--skip", "1", "--batch-size", "50", "--lr", "0.05", "--threads", "1", "--seed", "2", "--size", "0.5",
            "--layers", "2,3", "--out", out};
}

/// Starts ranklab-cli with `args` and waits until its stderr contains `marker` (or it ends).
bool startAndWaitFor(QProcess& p, const QStringList& args, const QByteArray& marker, QByteArray* err, int timeoutMs = 120000)
{
    p.start(QStringLiteral(RANKLAB_CLI), args);
    if (!p.waitForStarted())
        return false;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        p.waitForReadyRead(100);
        *err += p.readAllStandardError();
        if (err->contains(marker))
            return true;
        if (p.state() == QProcess::NotRunning)
            return false;
    }
    return false;
}

/// kill -9, as a crash or a power cut would end it: no handler runs.
void killHard(QProcess& p)
{
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    p.waitForFinished(30000);
}

/// metrics.csv without its timing columns (train_seconds, eval_seconds, images_per_second).
QByteArray metricsWithoutTimes(const QString& path)
{
    QByteArray out;
    for (const QByteArray& line : fileBytes(path).trimmed().split('\n'))
        out += line.split(',').mid(0, 8).join(',') + '\n';
    return out;
}

/// summary.json without the fields that measure time.
QJsonObject summaryWithoutTimes(const QString& path)
{
    QJsonObject o = ranklab::io::readJsonObject(path);
    for (const char* key : {"train_seconds", "total_seconds", "history", "weights"})
        o.remove(QLatin1String(key));
    return o;
}

/// Every file under `dir` (relative path → bytes) except those whose content records times or that a
/// resumed run legitimately adds.
QMap<QString, QByteArray> deterministicFiles(const QString& dir)
{
    QMap<QString, QByteArray> files;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString rel = QDir(dir).relativeFilePath(path);
        if (rel.endsWith(QLatin1String("model.rlk")))
            files.insert(rel, fileBytes(path));
    }
    return files;
}

quint32 crashSeed()
{
    static const quint32 seed = qEnvironmentVariableIsSet("RANKLAB_CRASH_SEED")
                                    ? quint32(qEnvironmentVariableIntValue("RANKLAB_CRASH_SEED"))
                                    : QRandomGenerator::global()->generate();
    return seed;
}

} // namespace

class TestCliReliability final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void lateUsageErrorsExitTwo_data();
    void lateUsageErrorsExitTwo();
    void unreadableParameterFileIsRefused();
    void modelTooLargeIsRefusedBeforeAllocating();
    void twoTrainingsIntoOneFolder();
    void killedTrainingResumesByteIdentical();
    void killedSweepResumesByteIdentical();
    void divergedRunCanBeRetriedInPlace();
    void fullDiskKeepsTheReason();
    void libraryChatterStaysOffStderr();

private:
    QTemporaryDir tmp_;
};

void TestCliReliability::initTestCase()
{
    QVERIFY(tmp_.isValid());
    qInfo("crash seed %u (RANKLAB_CRASH_SEED=%u repeats these kill times)", crashSeed(), crashSeed());
}

void TestCliReliability::lateUsageErrorsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QStringList data{"--subset", "200", "--test-subset", "100", "--threads", "1", "--quiet"};
    const QStringList basis = QStringList{"basis-train", "--model", "cifar_resnet18", "--width", "0.125", "--size", "0.5",
                                          "--epochs", "2", "--skip", "1"} + data;
    QTest::newRow("layer past the last") << basis + QStringList{"--layers", "99", "--out", "x"} << "'99' is out of range";
    QTest::newRow("reversed range") << basis + QStringList{"--layers", "5-3", "--out", "x"} << "reversed; write it low to high (3-5)";
    QTest::newRow("linear layer by name") << basis + QStringList{"--layers", "fc", "--out", "x"} << "not a Conv2d";
    QTest::newRow("unknown layer name") << basis + QStringList{"--layers", "conv9", "--out", "x"} << "no conv or linear layer named 'conv9'";
    QTest::newRow("zero std") << QStringList{"train", "--model", "lenet300", "--mean", "0.5", "--std", "0", "--epochs", "1", "--out", "x"} + data
                              << "std must be positive";
    QTest::newRow("basis-train without --skip")
        << QStringList{"basis-train", "--model", "cifar_resnet18", "--layers", "2", "--size", "0.5", "--epochs", "2", "--out", "x"}
        << "'basis-train' needs --skip, a whole number from 1 to 2";
    QTest::newRow("size 1.0") << QStringList{"basis-train", "--model", "cifar_resnet18", "--layers", "2", "--size", "1.0", "--skip",
                                             "1", "--epochs", "2", "--out", "x"}
                              << "write it as a whole number (e.g. 1)";
}

void TestCliReliability::lateUsageErrorsExitTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const QString out = tmp_.filePath(QStringLiteral("late-usage"));
    args[args.indexOf("x")] = out;
    const Result r = runCli(args);
    QVERIFY2(usageSentence(r, qPrintable(message)), qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(QString::fromUtf8(r.err))));
    QVERIFY(!QFileInfo::exists(out + "/params.json"));
}

// --params /dev/zero read forever; a file that is not a regular file is refused at once.
void TestCliReliability::unreadableParameterFileIsRefused()
{
    QElapsedTimer timer;
    timer.start();
    const Result r = runCli({"train", "--params", "/dev/zero"}, 20000);
    QCOMPARE(r.code, 1);
    QVERIFY2(oneClearSentence(r.err, "/dev/zero is not a regular file"), r.err.constData());
    QVERIFY(timer.elapsed() < 20000);
}

// `info --model resnet34 --width 64 --input-size 4096` grew to 23 GB until the kernel's OOM killer stopped it.
void TestCliReliability::modelTooLargeIsRefusedBeforeAllocating()
{
    for (const char* command : {"info", "cost"}) {
        QElapsedTimer timer;
        timer.start();
        QStringList args{command, "--model", "resnet34", "--width", "64", "--input-size", "4096"};
        if (QByteArray(command) == "cost")
            args << "--size" << "0.5";
        const Result r = runCli(args, 60000);
        QVERIFY2(r.code == 1, qPrintable(QStringLiteral("%1: exit %2: %3").arg(command).arg(r.code).arg(QString::fromUtf8(r.err))));
        QVERIFY2(oneClearSentence(r.err, "memory available; choose a smaller width or input size"), r.err.constData());
        QVERIFY2(timer.elapsed() < 30000, qPrintable(QStringLiteral("%1 took %2 ms").arg(command).arg(timer.elapsed())));
    }
}

// Two trainings started at once into one --out both passed the "already holds a run" check and mixed their
// files (params.json of one, metrics and weights of the other). Now exactly one runs; the other is refused
// naming the holder, and the folder is wholly the winner's.
void TestCliReliability::twoTrainingsIntoOneFolder()
{
    const QString out = tmp_.filePath(QStringLiteral("race"));
    QStringList a = smallTrain(out), b = smallTrain(out);
    a[a.indexOf("--epochs") + 1] = "1";
    b[b.indexOf("--epochs") + 1] = "1";
    b[b.indexOf("--lr") + 1] = "0.02";
    QProcess pa, pb;
    pa.start(QStringLiteral(RANKLAB_CLI), a);
    pb.start(QStringLiteral(RANKLAB_CLI), b);
    QVERIFY(pa.waitForFinished(300000) && pb.waitForFinished(300000));
    const QByteArray errA = pa.readAllStandardError(), errB = pb.readAllStandardError();
    QVERIFY2((pa.exitCode() == 0) != (pb.exitCode() == 0), (errA + "\n----\n" + errB).constData());
    const bool aWon = pa.exitCode() == 0;
    const QByteArray loserErr = aWon ? errB : errA;
    QVERIFY2(loserErr.contains("is in use by") || loserErr.contains("already holds a run"), loserErr.constData());
    const double lr = ranklab::io::readJsonObject(out + "/params.json").value("params").toObject().value("lr").toDouble();
    QCOMPARE(lr, aWon ? 0.05 : 0.02);
    QVERIFY(!QFileInfo::exists(out + "/.ranklab.lock")); // released at exit
}

// The battery's kill -9 / --resume cycles as a test: a training killed at random points and resumed (plus a
// second --resume started while one runs, which must be refused) ends byte-identical to an uninterrupted one.
void TestCliReliability::killedTrainingResumesByteIdentical()
{
    const QString reference = tmp_.filePath(QStringLiteral("train-reference"));
    QElapsedTimer timer;
    timer.start();
    const Result ref = runCli(smallTrain(reference) + QStringList{"--json"});
    QVERIFY2(ref.code == 0, ref.err.constData());
    const qint64 fullMs = std::max<qint64>(1000, timer.elapsed());

    QRandomGenerator rng(crashSeed());
    const QString out = tmp_.filePath(QStringLiteral("train-killed"));
    int kills = 0;
    for (int cycle = 0; cycle < 3; ++cycle) {
        QProcess p;
        QByteArray err;
        QStringList args = smallTrain(out);
        if (cycle > 0)
            args << "--resume";
        QVERIFY2(startAndWaitFor(p, args, "loading", &err), err.constData());
        if (cycle == 0) {
            // While this one holds the folder (it has just started its six epochs), a --resume is refused.
            const Result second = runCli(smallTrain(out) + QStringList{"--resume"});
            QVERIFY2(second.code == 1 && oneClearSentence(second.err, "is in use by ranklab-cli (PID"),
                     qPrintable(QStringLiteral("exit %1: %2").arg(second.code).arg(QString::fromUtf8(second.err))));
        }
        // Kill points fall within the run (the reference took fullMs from start to exit).
        const int delay = int(rng.bounded(quint32(fullMs * 6 / 10)));
        if (!p.waitForFinished(delay)) {
            killHard(p);
            ++kills;
        }
        qInfo("cycle %d: killed after %d ms", cycle, delay);
    }
    // A kill between a write and its rename leaves a temporary file; plant one so the check below does
    // not depend on where the kills fell: taking the folder's lock removes it.
    {
        QFile orphan(out + "/.metrics.csv.99999-0.tmp");
        QVERIFY(orphan.open(QIODevice::WriteOnly) && orphan.write("half") == 4);
    }
    const Result last = runCli(smallTrain(out) + QStringList{"--resume", "--json"});
    QVERIFY2(last.code == 0, last.err.constData());
    QVERIFY(kills >= 1 || fullMs < 1500);
    QCOMPARE(fileBytes(out + "/model.rlk"), fileBytes(reference + "/model.rlk"));
    QCOMPARE(metricsWithoutTimes(out + "/metrics.csv"), metricsWithoutTimes(reference + "/metrics.csv"));
    QCOMPARE(summaryWithoutTimes(out + "/summary.json"), summaryWithoutTimes(reference + "/summary.json"));
    QCOMPARE(fileBytes(out + "/params.json"), fileBytes(reference + "/params.json"));
    // total_seconds counts every invocation (up to its last checkpoint), not only the last one: at least
    // the time of all six epochs.
    double epochSeconds = 0;
    for (const QByteArray& row : fileBytes(out + "/metrics.csv").trimmed().split('\n').mid(1))
        epochSeconds += row.split(',').value(8).toDouble() + row.split(',').value(9).toDouble();
    const double total = ranklab::io::readJsonObject(out + "/summary.json").value("total_seconds").toDouble();
    QVERIFY2(total >= epochSeconds, qPrintable(QStringLiteral("total_seconds %1 < %2 s of epochs").arg(total).arg(epochSeconds)));
    // Nothing half-written is left: no temporary file, no lock.
    QDirIterator it(out, QDir::Files | QDir::Hidden);
    while (it.hasNext()) {
        const QString name = QFileInfo(it.next()).fileName();
        QVERIFY2(!name.endsWith(QLatin1String(".tmp")) && name != QLatin1String(".ranklab.lock"), qPrintable(name));
    }
}

// The same for a sweep: kill -9 at random points of a small sweep, --resume, and every run's weights and the
// sensitivity table's accuracies equal the uninterrupted sweep's.
void TestCliReliability::killedSweepResumesByteIdentical()
{
    const QString reference = tmp_.filePath(QStringLiteral("sweep-reference"));
    QElapsedTimer timer;
    timer.start();
    const Result ref = runCli(tinySweep(reference) + QStringList{"--json"});
    QVERIFY2(ref.code == 0, ref.err.constData());
    const qint64 fullMs = std::max<qint64>(1000, timer.elapsed());

    QRandomGenerator rng(crashSeed() ^ 0x9e3779b9u);
    const QString out = tmp_.filePath(QStringLiteral("sweep-killed"));
    for (int cycle = 0; cycle < 3; ++cycle) {
        QProcess p;
        QByteArray err;
        QStringList args = tinySweep(out);
        if (cycle > 0)
            args << "--resume";
        QVERIFY2(startAndWaitFor(p, args, "sweep", &err), err.constData());
        const int delay = int(rng.bounded(quint32(fullMs * 6 / 10)));
        if (!p.waitForFinished(delay))
            killHard(p);
        qInfo("cycle %d: killed after %d ms", cycle, delay);
    }
    const Result last = runCli(tinySweep(out) + QStringList{"--resume", "--json"});
    QVERIFY2(last.code == 0, last.err.constData());
    const QMap<QString, QByteArray> want = deterministicFiles(reference), got = deterministicFiles(out);
    QCOMPARE(got.keys(), want.keys());
    for (const QString& key : want.keys())
        QVERIFY2(got.value(key) == want.value(key), qPrintable(key));
    const QJsonArray a = lastJsonLine(last.out).value("entries").toArray(), b = lastJsonLine(ref.out).value("entries").toArray();
    QCOMPARE(a.size(), b.size());
    for (int i = 0; i < a.size(); ++i)
        QCOMPARE(a[i].toObject().value("accuracy").toDouble(), b[i].toObject().value("accuracy").toDouble());
}

// A run that diverged before its first checkpoint left params.json behind, and --resume with a lower learning
// rate said only "different parameters". Now it starts afresh in place; a run with a checkpoint names the
// parameters that differ and says what to do.
void TestCliReliability::divergedRunCanBeRetriedInPlace()
{
    const QString out = tmp_.filePath(QStringLiteral("diverged"));
    QStringList args = smallTrain(out);
    args[args.indexOf("--epochs") + 1] = "1";
    QStringList wild = args;
    wild[wild.indexOf("--lr") + 1] = "1e6";
    const Result diverged = runCli(wild);
    QCOMPARE(diverged.code, 1);
    QVERIFY2(oneClearSentence(diverged.err, "training diverged"), diverged.err.constData());
    QVERIFY(QFileInfo::exists(out + "/params.json"));

    const Result retry = runCli(args + QStringList{"--resume", "--json"});
    QVERIFY2(retry.code == 0, retry.err.constData());
    QVERIFY2(retry.err.contains("starting it afresh") && retry.err.contains("params.lr: 1000000 there, 0.05 now"),
             retry.err.constData());
    QCOMPARE(lastJsonLine(retry.out).value("status").toString(), QStringLiteral("completed"));

    QStringList other = args;
    other[other.indexOf("--lr") + 1] = "0.1";
    const Result refused = runCli(other + QStringList{"--resume"});
    QCOMPARE(refused.code, 1);
    QVERIFY2(oneClearSentence(refused.err, "params.lr: 0.05 there, 0.1 now"), refused.err.constData());
    QVERIFY2(refused.err.contains("delete the folder or choose another --out"), refused.err.constData());
}

// A full disk said "cannot write …/checkpoint.rlk: Unknown error."; the reason is kept, and nothing
// half-written is left under the real name. The disk is a 256 KiB tmpfs mounted in a private mount namespace
// (unshare -rm), so the test needs no privileges and leaves nothing mounted.
void TestCliReliability::fullDiskKeepsTheReason()
{
    if (QProcess::execute(QStringLiteral("unshare"), {"-rm", "true"}) != 0)
        QSKIP("unshare -rm (a user and mount namespace) is not allowed here: no small disk to fill");
    const QString mount = tmp_.filePath(QStringLiteral("small-disk"));
    QVERIFY(QDir().mkpath(mount));
    QStringList train = smallTrain(mount + "/run");
    train[train.indexOf("--epochs") + 1] = "1";
    train[train.indexOf("--model") + 1] = "lenet300"; // 266k parameters: the 1 MB checkpoint cannot fit
    QString command = QStringLiteral("mount -t tmpfs -o size=256k tmpfs '%1' || exit 99; '%2'").arg(mount, QStringLiteral(RANKLAB_CLI));
    for (const QString& a : train)
        command += QStringLiteral(" '%1'").arg(a);
    command += QStringLiteral("; rc=$?; ls -a '%1/run'; exit $rc").arg(mount);
    QProcess p;
    p.start(QStringLiteral("unshare"), {"-rm", "sh", "-c", command});
    QVERIFY(p.waitForFinished(300000));
    const QByteArray out = p.readAllStandardOutput(), err = p.readAllStandardError();
    if (p.exitCode() == 99)
        QSKIP("tmpfs cannot be mounted in a user namespace here");
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(oneClearSentence(err, "No space left on device"), err.constData());
    QVERIFY2(!out.contains("checkpoint.rlk") && !out.contains("model.rlk") && !out.contains(".tmp"), out.constData());
}

namespace {
/// A PNG chunk: length, type, data, CRC-32 of type and data.
QByteArray pngChunk(const QByteArray& type, const QByteArray& data)
{
    QByteArray out;
    const auto be32 = [&out](quint32 v) {
        for (int i = 3; i >= 0; --i)
            out.append(char((v >> (8 * i)) & 0xff));
    };
    be32(quint32(data.size()));
    out += type + data;
    be32(quint32(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>((type + data).constData()), uInt(type.size() + data.size()))));
    return out;
}
} // namespace

// libpng's warnings (through Qt's message handler) and its errors (printed straight to stderr) came before
// the sentence; Qt and LibTorch internals likewise. Now an ImageFolder with an undecodable PNG and PNGs with
// a malformed colour profile gives the progress line and the one sentence, nothing else.
void TestCliReliability::libraryChatterStaysOffStderr()
{
    const QString dir = tmp_.filePath(QStringLiteral("chatter"));
    QImage image(6, 6, QImage::Format_Grayscale8);
    image.fill(90);
    QByteArray png;
    {
        QBuffer buffer(&png);
        QVERIFY(buffer.open(QIODevice::WriteOnly) && image.save(&buffer, "PNG"));
    }
    // After the 8-byte signature and the 25-byte IHDR chunk: an iCCP chunk whose profile is too short.
    const QByteArray badProfile = png.left(33) + pngChunk("iCCP", QByteArray("bogus\0\0", 7) + qCompress(QByteArray(40, 'x')).mid(4)) + png.mid(33);
    for (const char* cls : {"a", "b"}) {
        QVERIFY(QDir().mkpath(dir + "/" + cls));
        for (int i = 0; i < 3; ++i) {
            QFile f(QStringLiteral("%1/%2/%3.png").arg(dir, QLatin1String(cls)).arg(i));
            QVERIFY(f.open(QIODevice::WriteOnly) && f.write(badProfile) == badProfile.size());
        }
    }
    QFile broken(dir + "/a/broken.png");
    QVERIFY(broken.open(QIODevice::WriteOnly) && broken.write("\x89PNG\r\n\x1a\nthis is not a png") > 0);
    broken.close();
    const Result r = runCli({"train", "--model", "lenet300", "--dataset", "imagefolder", "--data-dir", dir, "--epochs", "1",
                             "--out", tmp_.filePath(QStringLiteral("chatter-run"))});
    QCOMPARE(r.code, 1);
    const QList<QByteArray> lines = r.err.trimmed().split('\n');
    QVERIFY2(lines.size() == 2 && lines[0].startsWith("loading imagefolder") && oneClearSentence(r.err, "broken.png cannot be read"),
             r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliReliability)
#include "test_cli_reliability.moc"
