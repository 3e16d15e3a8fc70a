// The sensitivity sweep of paper A §3.2/§4.4 on a tiny model: run folders, the sensitivity table,
// resume after a cancel between and inside runs, concurrent workers, groups, the training-free proxy,
// and bad input (foreign folders, missing baseline, corrupt run files).
#include <QtTest>

#include "core/jobs/job_kind.h"

#include <atomic>
#include <cmath>

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/models/model_spec.h"
#include "core/search/pareto.h"
#include "core/search/proxy_sweep.h"
#include "core/search/sweep.h"

using namespace ranklab;
using namespace ranklab::search;

namespace {

SweepParams tinySweep()
{
    SweepParams p;
    p.train.model = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    p.train.model.width = 0.125;
    p.train.model.inChannels = 0;
    p.train.model.inputSize = 0;
    p.train.data.subset = 256;
    p.train.data.testSubset = 128;
    p.train.data.seed = 5;
    p.train.epochs = 2;
    p.train.batchSize = 64;
    p.train.lr = 0.05;
    p.train.threads = 1;
    p.train.seed = 5;
    p.layers = QStringLiteral("2,3,4");
    p.basis.size = 0.5;
    p.basis.form = basis::BasisForm::Pair;
    p.basis.init = basis::BasisInit::Qr;
    return p;
}

void copyTree(const QString& from, const QString& to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString target = QDir(to).filePath(QDir(from).relativeFilePath(file));
        QDir().mkpath(QFileInfo(target).absolutePath());
        QVERIFY(QFile::copy(file, target));
    }
}

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestSearchSweep final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sweepWritesRunsAndTable();
    void workersGiveTheSameAccuracies();
    void resumeAfterCancelBetweenRuns();
    void resumeAfterCancelInsideARun();
    void resumeRerunsDamagedRuns();
    void impossibleFiguresAreLeftOut();
    void foreignSweepFolderIsRefused();
    void badLayerListsWriteNothing();
    void corruptOrForeignRunsAreReportedAndLeftOut();
    void missingBaselineIsAnError();
    void groups();
    void proxySweepSharesTheFormat();

private:
    QTemporaryDir tmp_;
    QString reference_;
    SweepResult ref_;
};

void TestSearchSweep::initTestCase()
{
    QVERIFY(tmp_.isValid());
    JobKinds::all(); // registers the layer methods the proxy sweeps (registerBuiltinKinds)
    reference_ = tmp_.filePath(QStringLiteral("reference"));
    QStringList lines;
    TrainCallbacks cb;
    cb.log = [&lines](const QString& line) { lines << line; };
    ref_ = runSweep(tinySweep(), reference_, cb);
}

void TestSearchSweep::sweepWritesRunsAndTable()
{
    QVERIFY(ref_.complete());
    QCOMPARE(ref_.kind, SweepKind::Layers);
    QCOMPARE(ref_.entries.size(), 3);
    QVERIFY(ref_.baseline.accuracy > 0.15); // 10 classes: well above chance after two epochs
    QVERIFY(ref_.baseline.seconds > 0);
    const QVector<int> expected{2, 3, 4};
    const QStringList names{QStringLiteral("layer1.0.conv1"), QStringLiteral("layer1.0.conv2"), QStringLiteral("layer1.1.conv1")};
    for (int i = 0; i < 3; ++i) {
        const LayerSensitivity& s = ref_.entries[i];
        QCOMPARE(s.index, expected[i]);
        QCOMPARE(s.name, names[i]);
        QCOMPARE(s.layers, QVector<int>{expected[i]});
        // The figures are the run folder's own.
        const QJsonObject summary = io::readJsonObject(QDir(reference_).filePath(s.runDir + QStringLiteral("/summary.json")));
        QCOMPARE(s.accuracy, summary.value("final_test_top1").toDouble());
        QCOMPARE(s.accDrop, ref_.baseline.accuracy - s.accuracy);
        QCOMPARE(s.seconds, summary.value("train_seconds").toDouble());
        QCOMPARE(double(s.params), summary.value("basis_params").toDouble());
        // 8 output channels, 4 basis filters: the model shrinks.
        QVERIFY(s.paramsDelta < 0);
        QCOMPARE(s.paramsDelta, s.params - ref_.baseline.params);
    }
    const QList<QByteArray> csv = fileBytes(QDir(reference_).filePath("sensitivity.csv")).trimmed().split('\n');
    QCOMPARE(csv.size(), 5);
    QVERIFY(csv[0].startsWith("index,name,layers,accuracy,acc_drop,seconds,seconds_delta,params,params_delta"));
    QVERIFY(csv[1].startsWith("0,baseline,"));
    QVERIFY(csv[3].startsWith("3,layer1.0.conv2,3,"));
    const QJsonObject json = io::readJsonObject(QDir(reference_).filePath("sensitivity.json"));
    QCOMPARE(json.value("entries").toArray().size(), 3);
    QCOMPARE(json.value("kind").toString(), QStringLiteral("sweep"));
}

void TestSearchSweep::workersGiveTheSameAccuracies()
{
    SweepParams p = tinySweep();
    p.workers = 2;
    p.train.threads = 2; // one intra-op thread per worker, as the reference run had
    const SweepResult r = runSweep(p, tmp_.filePath(QStringLiteral("two-workers")));
    QVERIFY(r.complete());
    QCOMPARE(r.baseline.accuracy, ref_.baseline.accuracy);
    QCOMPARE(r.entries.size(), ref_.entries.size());
    for (int i = 0; i < r.entries.size(); ++i) {
        QCOMPARE(r.entries[i].index, ref_.entries[i].index);
        QCOMPARE(r.entries[i].accuracy, ref_.entries[i].accuracy);
        QCOMPARE(r.entries[i].loss, ref_.entries[i].loss);
        QCOMPARE(r.entries[i].params, ref_.entries[i].params);
    }
}

void TestSearchSweep::resumeAfterCancelBetweenRuns()
{
    const QString dir = tmp_.filePath(QStringLiteral("cancel-between"));
    std::atomic_bool cancel{false};
    TrainCallbacks cb;
    cb.log = [&cancel](const QString& line) {
        if (line.startsWith(QLatin1String("baseline finished")))
            cancel = true;
    };
    const SweepResult partial = runSweep(tinySweep(), dir, cb, &cancel);
    QVERIFY(cancel.load());
    QVERIFY(!partial.complete());
    QCOMPARE(partial.entries.size(), 0);
    // The stopped sweep's table says it is partial: one "pending" row per entry still to run.
    const QList<QByteArray> csv = fileBytes(QDir(dir).filePath("sensitivity.csv")).trimmed().split('\n');
    QCOMPARE(csv.size(), 5);
    QVERIFY(csv[1].startsWith("0,baseline,") && csv[1].endsWith(",done"));
    for (int i = 2; i < 5; ++i)
        QVERIFY2(csv[i].endsWith(",pending"), csv[i].constData());
    const QString baselineSummary = QDir(dir).filePath("baseline/summary.json");
    QVERIFY(QFile::exists(baselineSummary));
    const QByteArray before = fileBytes(baselineSummary);
    const QDateTime modified = QFileInfo(baselineSummary).lastModified();

    QStringList lines;
    TrainCallbacks log;
    log.log = [&lines](const QString& line) { lines << line; };
    const SweepResult done = runSweep(tinySweep(), dir, log);
    QVERIFY(done.complete());
    QVERIFY2(lines.filter(QStringLiteral("1 of 4 runs already finished, 3 to go")).size() == 1, qPrintable(lines.join('\n')));
    QVERIFY(lines.filter(QStringLiteral("baseline finished")).isEmpty()); // not trained again
    QCOMPARE(fileBytes(baselineSummary), before);
    QCOMPARE(QFileInfo(baselineSummary).lastModified(), modified);
    for (int i = 0; i < done.entries.size(); ++i)
        QCOMPARE(done.entries[i].accuracy, ref_.entries[i].accuracy);
}

void TestSearchSweep::resumeAfterCancelInsideARun()
{
    const QString dir = tmp_.filePath(QStringLiteral("cancel-inside"));
    std::atomic_bool cancel{false};
    TrainCallbacks cb;
    // After the first epoch of layer 3's run: the cancel lands in its second epoch.
    cb.log = [&cancel](const QString& line) {
        if (line.startsWith(QLatin1String("[layer 3 (layer1.0.conv2)] epoch 1/2")))
            cancel = true;
    };
    runSweep(tinySweep(), dir, cb, &cancel);
    QVERIFY(cancel.load());
    QVERIFY(QFile::exists(QDir(dir).filePath("layer-02/summary.json")));
    QVERIFY(QFile::exists(QDir(dir).filePath("layer-03/checkpoint.rlk")));
    QVERIFY(!QFile::exists(QDir(dir).filePath("layer-03/summary.json")));
    QVERIFY(!QFile::exists(QDir(dir).filePath("layer-04")));
    const SweepResult partial = loadSweep(dir);
    QCOMPARE(partial.entries.size(), 1);
    QCOMPARE(partial.pending.size(), 2);

    QStringList lines;
    TrainCallbacks log;
    log.log = [&lines](const QString& line) { lines << line; };
    const SweepResult done = runSweep(tinySweep(), dir, log);
    QVERIFY(done.complete());
    QVERIFY2(lines.filter(QStringLiteral("2 of 4 runs already finished")).size() == 1, qPrintable(lines.join('\n')));
    QVERIFY2(lines.filter(QStringLiteral("[layer 3 (layer1.0.conv2)] resuming after epoch 1 of 2")).size() == 1,
             qPrintable(lines.join('\n')));
    // The resumed run ends exactly where an uninterrupted one does.
    for (int i = 0; i < done.entries.size(); ++i)
        QCOMPARE(done.entries[i].accuracy, ref_.entries[i].accuracy);
}

// `sweep --resume` once said "5 of 5 runs already finished" over a run whose summary it could not read, and
// left that run out for good. Now a damaged run is re-run: from its checkpoint when that is good (the
// summary and model are rebuilt from it), from scratch when the checkpoint itself is damaged.
void TestSearchSweep::resumeRerunsDamagedRuns()
{
    const QString dir = tmp_.filePath(QStringLiteral("damaged"));
    copyTree(reference_, dir);
    const QDir root(dir);
    {
        const QByteArray summary = fileBytes(root.filePath("layer-02/summary.json"));
        QFile f(root.filePath("layer-02/summary.json"));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(summary.left(summary.size() / 2)); // cut mid-way: not JSON any more
    }
    {
        QFile f(root.filePath("layer-03/checkpoint.rlk"));
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        for (int i = 0; i < 64; ++i)
            bytes[bytes.size() / 2 + i] = char(bytes[bytes.size() / 2 + i] ^ 0x5a);
        f.seek(0);
        f.write(bytes);
    }
    QCOMPARE(loadSweep(dir).problems.size(), 1); // the checkpoint is not read by loadSweep: only layer 2 shows

    QStringList lines;
    TrainCallbacks log;
    log.log = [&lines](const QString& line) { lines << line; };
    const SweepResult done = runSweep(tinySweep(), dir, log);
    const QString all = lines.join('\n');
    QVERIFY2(done.complete(), qPrintable(all));
    QVERIFY2(lines.filter(QStringLiteral("2 of 4 runs already finished, 2 to go")).size() == 1, qPrintable(all));
    QVERIFY2(lines.filter(QRegularExpression(QStringLiteral("^layer 2 .*summary.json.*re-running it from its last checkpoint$")))
                     .size() == 1,
             qPrintable(all));
    QVERIFY2(lines.filter(QRegularExpression(QStringLiteral("^layer 3 .*checkpoint.rlk.*re-running it from scratch$"))).size() == 1,
             qPrintable(all));
    QVERIFY(QFile::exists(root.filePath("layer-02/summary.json.damaged")));
    QVERIFY(QFile::exists(root.filePath("layer-03/checkpoint.rlk.damaged")));
    // Both runs end exactly where the uninterrupted sweep's did.
    QCOMPARE(done.entries.size(), ref_.entries.size());
    for (int i = 0; i < done.entries.size(); ++i) {
        QCOMPARE(done.entries[i].accuracy, ref_.entries[i].accuracy);
        QCOMPARE(done.entries[i].params, ref_.entries[i].params);
    }
    QCOMPARE(fileBytes(root.filePath("layer-03/model.rlk")), fileBytes(QDir(reference_).filePath("layer-03/model.rlk")));
    QCOMPARE(fileBytes(root.filePath("layer-02/model.rlk")), fileBytes(QDir(reference_).filePath("layer-02/model.rlk")));
    // A second resume finds nothing to repair.
    lines.clear();
    QVERIFY(runSweep(tinySweep(), dir, log).complete());
    QVERIFY2(lines.filter(QStringLiteral("moved the damaged")).isEmpty(), qPrintable(lines.join(QLatin1Char(10))));
}

// train_seconds 1e308 is finite, so it passed the figure check, and summing it over a layer combination then
// overflowed and aborted `pareto --objective time`. Figures beyond any believable run are left out.
void TestSearchSweep::impossibleFiguresAreLeftOut()
{
    const QString dir = tmp_.filePath(QStringLiteral("impossible"));
    copyTree(reference_, dir);
    const QString path = QDir(dir).filePath("layer-03/summary.json");
    QJsonObject summary = io::readJsonObject(path);
    summary.insert(QStringLiteral("train_seconds"), 1e308);
    io::writeJsonAtomic(path, summary);
    const SweepResult r = loadSweep(dir);
    QCOMPARE(r.entries.size(), 2);
    QCOMPARE(r.problems.size(), 1);
    QVERIFY2(r.problems.first().contains(QStringLiteral("impossible figures")), qPrintable(r.problems.first()));
    const ParetoFront front = paretoFront(r, Objective::Time, CompoundRule::Sum);
    QVERIFY(!front.points.isEmpty());
    for (const CompoundEstimate& p : front.points)
        QVERIFY(std::isfinite(p.seconds) && p.seconds < 1e6);
    // The table says which entry is missing and why.
    const QByteArray csv = sensitivityCsv(r);
    QVERIFY2(csv.contains(",unreadable\n") && csv.contains("impossible figures"), csv.constData());
}

void TestSearchSweep::foreignSweepFolderIsRefused()
{
    const QByteArray sweepJson = fileBytes(QDir(reference_).filePath("sweep.json"));
    SweepParams otherSize = tinySweep();
    otherSize.basis.size = 0.25;
    const QString sizeError = errorOf([&] { runSweep(otherSize, reference_); });
    QVERIFY2(sizeError.contains(QStringLiteral("basis size 0.5")) && sizeError.contains(QStringLiteral("size 0.25")),
             qPrintable(sizeError));
    SweepParams otherModel = tinySweep();
    otherModel.train.model.width = 0.25;
    const QString modelError = errorOf([&] { runSweep(otherModel, reference_); });
    QVERIFY2(modelError.contains(QStringLiteral("cifar_resnet18 at width 0.125")), qPrintable(modelError));
    SweepParams otherEpochs = tinySweep();
    otherEpochs.train.epochs = 3;
    QVERIFY(errorOf([&] { runSweep(otherEpochs, reference_); }).contains(QStringLiteral("other layers, data or training options")));
    QCOMPARE(fileBytes(QDir(reference_).filePath("sweep.json")), sweepJson);
    // A different number of workers or threads is the same sweep.
    SweepParams moreWorkers = tinySweep();
    moreWorkers.workers = 3;
    QCOMPARE(runSweep(moreWorkers, reference_).entries.size(), 3);
}

void TestSearchSweep::badLayerListsWriteNothing()
{
    const QString dir = tmp_.filePath(QStringLiteral("bad"));
    SweepParams p = tinySweep();
    p.layers = QStringLiteral(" ");
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("empty")));
    p.layers = QStringLiteral("21"); // the classifier
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("is a Linear")));
    p.layers = QStringLiteral("3,99");
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("out of range")));
    p = tinySweep();
    p.groups = {LayerGroup{QStringLiteral("a"), QStringLiteral("2")}, LayerGroup{QStringLiteral("a"), QStringLiteral("3")}};
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("given twice")));
    p.groups = {LayerGroup{QStringLiteral("a b"), QStringLiteral("2")}};
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("only letters")));
    p = tinySweep();
    p.basis.size = 9; // more basis filters than layer1's 8 outputs
    QVERIFY(errorOf([&] { runSweep(p, dir); }).contains(QStringLiteral("layer1.0.conv1")));
    QVERIFY(!QFile::exists(dir));
    QVERIFY(errorOf([] { parseLayerGroup(QStringLiteral("light")); }).contains(QStringLiteral("NAME=LAYERS")));
}

void TestSearchSweep::corruptOrForeignRunsAreReportedAndLeftOut()
{
    const QString dir = tmp_.filePath(QStringLiteral("corrupt"));
    copyTree(reference_, dir);
    io::writeFileAtomic(QDir(dir).filePath("layer-03/summary.json"), "{\"status\": \"compl");
    // layer 4's folder now claims another basis size: a run from another sweep copied in.
    QJsonObject params = io::readJsonObject(QDir(dir).filePath("layer-04/params.json"));
    QJsonObject job = params.value("job").toObject();
    QJsonObject basisJson = job.value("basis").toObject();
    basisJson.insert("size", 0.25);
    job.insert("basis", basisJson);
    params.insert("job", job);
    io::writeJsonAtomic(QDir(dir).filePath("layer-04/params.json"), params);

    const SweepResult r = loadSweep(dir);
    QCOMPARE(r.entries.size(), 1);
    QCOMPARE(r.entries.front().index, 2);
    QCOMPARE(r.problems.size(), 2);
    QVERIFY2(r.problems[0].startsWith(QStringLiteral("layer 3 (layer1.0.conv2) is left out:")), qPrintable(r.problems[0]));
    QVERIFY2(r.problems[1].startsWith(QStringLiteral("layer 4 (layer1.1.conv1) is left out:")), qPrintable(r.problems[1]));
    QVERIFY(!r.complete());
    QVERIFY(errorOf([&] { compoundEstimate(r, {2, 3}, CompoundRule::Mean); }).contains(QStringLiteral("no finished entry 3")));
    QCOMPARE(paretoFront(r, Objective::Size, CompoundRule::Mean).entryCount, 1);
}

void TestSearchSweep::missingBaselineIsAnError()
{
    const QString dir = tmp_.filePath(QStringLiteral("no-baseline"));
    copyTree(reference_, dir);
    QVERIFY(QFile::remove(QDir(dir).filePath("baseline/summary.json")));
    QVERIFY(errorOf([&] { loadSweep(dir); }).contains(QStringLiteral("no finished baseline run")));
    QVERIFY(errorOf([&] { loadSweep(tmp_.filePath("nothing-here")); }).contains(QStringLiteral("is not a sweep folder")));
}

void TestSearchSweep::groups()
{
    SweepParams p = tinySweep();
    p.groups = {LayerGroup{QStringLiteral("first"), QStringLiteral("2-3")}, LayerGroup{QStringLiteral("second"), QStringLiteral("layer1.1.conv1")}};
    const SweepResult r = runSweep(p, tmp_.filePath(QStringLiteral("groups")));
    QVERIFY(r.complete());
    QCOMPARE(r.kind, SweepKind::Groups);
    QCOMPARE(r.entries.size(), 2);
    QCOMPARE(r.entries[0].name, QStringLiteral("first"));
    QCOMPARE(r.entries[0].layers, (QVector<int>{2, 3}));
    QCOMPARE(r.entries[1].layers, QVector<int>{4});
    QCOMPARE(r.entries[0].runDir, QStringLiteral("group-first"));
    QCOMPARE(r.baseline.accuracy, ref_.baseline.accuracy);
    // A group of one layer is that layer's run.
    QCOMPARE(r.entries[1].accuracy, ref_.entries[2].accuracy);
    // Two layers with basis convs shrink the model by both layers' savings.
    QCOMPARE(r.entries[0].paramsDelta, ref_.entries[0].paramsDelta + ref_.entries[1].paramsDelta);
}

void TestSearchSweep::proxySweepSharesTheFormat()
{
    const QString dir = tmp_.filePath(QStringLiteral("proxy"));
    // The proxy's baseline is the same training as the sweep's: reuse the finished run folder.
    copyTree(QDir(reference_).filePath("baseline"), QDir(dir).filePath("baseline"));
    ProxySweepParams p;
    const SweepParams s = tinySweep();
    p.train = s.train;
    p.layers = s.layers;
    p.basis = s.basis;
    p.basis.init = basis::BasisInit::Svd;
    p.evalImages = 100;
    QStringList lines;
    TrainCallbacks cb;
    cb.log = [&lines](const QString& line) { lines << line; };
    const SweepResult r = runProxySweep(p, dir, cb);
    QVERIFY2(lines.filter(QStringLiteral("already complete")).size() == 1, qPrintable(lines.join('\n')));
    QVERIFY(r.complete());
    QCOMPARE(r.kind, SweepKind::Proxy);
    QCOMPARE(r.entries.size(), 3);
    QCOMPARE(r.baseline.seconds, ref_.baseline.seconds);
    for (int i = 0; i < 3; ++i) {
        const LayerSensitivity& e = r.entries[i];
        QCOMPARE(e.index, ref_.entries[i].index);
        QVERIFY(e.secondsPredicted);
        // The same basis model as the trained run's basis phase: the same parameter count.
        QCOMPARE(e.params, ref_.entries[i].params);
        QVERIFY(e.reconstructionError > 0 && e.reconstructionError < 1);
        QCOMPARE(e.score, e.loss - r.baseline.loss);
        QCOMPARE(e.accDrop, r.baseline.accuracy - e.accuracy);
    }
    QVERIFY(QFile::exists(QDir(dir).filePath("sensitivity.csv")));
    const ParetoFront front = paretoFront(r, Objective::Time, CompoundRule::Mean);
    QVERIFY(!front.points.isEmpty());
    QCOMPARE(compareSensitivities(r, ref_).common, 3);
    // Random init cannot approximate trained filters.
    p.basis.init = basis::BasisInit::Random;
    QVERIFY(errorOf([&] { runProxySweep(p, tmp_.filePath("proxy-random")); }).contains(QStringLiteral("qr or svd")));
    QVERIFY(!QFile::exists(tmp_.filePath("proxy-random")));
}

QTEST_GUILESS_MAIN(TestSearchSweep)
#include "test_search_sweep.moc"
