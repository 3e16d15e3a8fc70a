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
#include "core/models/zoo.h"
#include "core/train/layer_method.h"
#include "core/search/pareto.h"
#include "core/search/proxy_sweep.h"
#include "core/search/sweep.h"
#include "core/search/sweep_plan.h"

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
    void pairedSeedStatistics();
    void pooledIntervalsNeverCollapseToZero();
    void verdictSaysWhenLayersCannotBeToldApart();
    void seededSweepPairsSeedsAndResumesPerUnit();
    void validationSplitChoosesAndTestReports();
    void methodsRefuseDepthwiseConvsWithAReason();

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
    // Every entry's time delta is also measured interleaved, dense against basis, at the runs' batch and shape.
    QVERIFY(ref_.timed);
    const QJsonObject timing = io::readJsonObject(QDir(reference_).filePath("timing.json"));
    QCOMPARE(timing.value("batch").toInt(), 64);
    const QJsonArray timed = timing.value("entries").toArray();
    QCOMPARE(timed.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const QJsonObject t = timed[i].toObject();
        QCOMPARE(t.value("index").toInt(), ref_.entries[i].index);
        QVERIFY(t.value("dense_seconds").toDouble() > 0 && t.value("basis_seconds").toDouble() > 0);
        QCOMPARE(t.value("steps").toInt(), 4 * 2); // 256 images / batch 64, basis convs in both epochs
        QVERIFY(qAbs(t.value("seconds_delta").toDouble()
                     - (t.value("basis_seconds").toDouble() - t.value("dense_seconds").toDouble()) * 8) < 1e-9);
        QVERIFY(ref_.entries[i].timed);
        QCOMPARE(ref_.entries[i].secondsDeltaTimed, t.value("seconds_delta").toDouble());
        QCOMPARE(timeDelta(ref_, ref_.entries[i]), ref_.entries[i].secondsDeltaTimed);
    }
    // The time objective's estimates use the timed deltas.
    const CompoundEstimate both = compoundEstimate(ref_, {2, 3}, CompoundRule::Sum);
    QVERIFY(qAbs(both.seconds - (ref_.baseline.seconds + ref_.entries[0].secondsDeltaTimed + ref_.entries[1].secondsDeltaTimed)) < 1e-9);
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
    p.proxy = QStringLiteral("finetune"); // the most involved treatment: a short fine-tune, then recalibration
    QStringList lines;
    TrainCallbacks cb;
    cb.log = [&lines](const QString& line) { lines << line; };
    const SweepResult r = runProxySweep(p, dir, cb);
    QVERIFY2(lines.filter(QStringLiteral("already complete")).size() == 1, qPrintable(lines.join('\n')));
    QVERIFY(r.complete());
    QCOMPARE(r.kind, SweepKind::Proxy);
    QCOMPARE(r.entries.size(), 3);
    QCOMPARE(r.baseline.seconds, ref_.baseline.seconds);
    QCOMPARE(ProxySweepParams{}.proxy, QStringLiteral("bn")); // the default: BatchNorm recalibration
    QVERIFY(r.timed);
    for (int i = 0; i < 3; ++i) {
        const LayerSensitivity& e = r.entries[i];
        QCOMPARE(e.index, ref_.entries[i].index);
        QVERIFY(e.secondsPredicted);
        // The predicted time is the baseline's plus the interleaved per-layer timing (what autograd pays).
        QVERIFY(e.timed);
        QCOMPARE(e.seconds, r.baseline.seconds + e.secondsDeltaTimed);
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
    // The reference is treated like every changed copy (fine-tuned and recalibrated): the baseline figure differs
    // from the untreated network's, which the post-hoc proxy scores.
    const QString posthocDir = tmp_.filePath(QStringLiteral("proxy-posthoc"));
    copyTree(QDir(reference_).filePath("baseline"), QDir(posthocDir).filePath("baseline"));
    ProxySweepParams posthoc = p;
    posthoc.proxy = QStringLiteral("posthoc");
    posthoc.layers = QStringLiteral("1");
    const SweepResult untreated = runProxySweep(posthoc, posthocDir);
    QVERIFY(untreated.baseline.loss != r.baseline.loss);
    QVERIFY(untreated.entries[0].loss != r.entries[0].loss);
    // A folder of one proxy mode is not resumed as another (the treatment is part of its parameters).
    posthoc.proxy = QStringLiteral("bn");
    QVERIFY(!errorOf([&] { runProxySweep(posthoc, posthocDir); }).isEmpty());
    // Random init cannot approximate trained filters (the reinit proxy is the one that starts from random).
    p.basis.init = basis::BasisInit::Random;
    QVERIFY(errorOf([&] { runProxySweep(p, tmp_.filePath("proxy-random")); }).contains(QStringLiteral("qr or svd")));
    QVERIFY(!QFile::exists(tmp_.filePath("proxy-random")));
    // Impossible treatments are refused before anything is written.
    p.basis.init = basis::BasisInit::Svd;
    p.finetuneEpochs = 0;
    QVERIFY(errorOf([&] { runProxySweep(p, tmp_.filePath("proxy-zero")); }).contains(QStringLiteral("more than 0")));
    p.finetuneEpochs = 0.25;
    p.proxy = QStringLiteral("reinit");
    p.method = QStringLiteral("prune");
    p.methodOptions = QJsonObject{{QStringLiteral("ratio"), 0.5}};
    QVERIFY(errorOf([&] { runProxySweep(p, tmp_.filePath("proxy-reinit-prune")); }).contains(QStringLiteral("--method basis")));
    QVERIFY(!QFile::exists(tmp_.filePath("proxy-zero")) && !QFile::exists(tmp_.filePath("proxy-reinit-prune")));
}

// MobileNetV2's depthwise convs: both layer methods refuse them in one sentence that names the layer and why (what
// the proxy sweep logs when it leaves them out of "all", and what a named selection is refused with).
void TestSearchSweep::methodsRefuseDepthwiseConvsWithAReason()
{
    const ModelSpec spec{QStringLiteral("mobilenet_v2"), 10, 3, 32, 0.25};
    const ModelInfo info = describeModel(spec);
    auto model = models::createModel(spec);
    const LayerInfo& depthwise = info.layers[1]; // features.1.conv.0.0: 8 channels, groups 8
    QCOMPARE(depthwise.name, QStringLiteral("features.1.conv.0.0"));
    const auto basis = createLayerMethod(QStringLiteral("basis"), QJsonObject{});
    const QString b = basis->refusal(*model, depthwise);
    QVERIFY2(b.contains("layer 2 (features.1.conv.0.0) is a depthwise convolution (groups = 8)") && b.contains("groups = 1"), qPrintable(b));
    QVERIFY(basis->refusal(*model, info.layers[2]).isEmpty()); // the 1×1 projection takes a basis
    const auto prune = createLayerMethod(QStringLiteral("prune"), QJsonObject{});
    const QString p = prune->refusal(*model, depthwise);
    QVERIFY2(p.contains("cannot be pruned") && p.contains("depthwise convolution (groups = 8)"), qPrintable(p));
    QVERIFY(prune->refusal(*model, info.layers[51]).isEmpty()); // features.18.0
    // A trained sweep of "all" leaves depthwise convs out; naming one is refused with the same sentence.
    SweepParams sweep = tinySweep();
    sweep.train.model = spec;
    sweep.layers = QStringLiteral("features.1.conv.0.0");
    try {
        runSweep(sweep, tmp_.filePath(QStringLiteral("mobilenet")), {});
        QFAIL("a depthwise conv was accepted by the sweep");
    } catch (const Error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains("depthwise convolution (groups = 8)"), e.what());
    }
    QVERIFY(!QFile::exists(tmp_.filePath(QStringLiteral("mobilenet/sweep.json"))));
    sweep.layers = QStringLiteral("all");
    const plan::SweepPlan all = plan::planSweep(sweep);
    QCOMPARE(all.entries.size(), 52 - 17); // every conv but the depthwise ones
    QCOMPARE(all.leftOut.size(), 17);
    QVERIFY(all.leftOut.first().contains("layer 2 (features.1.conv.0.0) is a depthwise convolution"));
}

QTEST_GUILESS_MAIN(TestSearchSweep)
#include "test_search_sweep.moc"

void TestSearchSweep::pairedSeedStatistics()
{
    // A planted sample: mean 0.02, sd 0.01, 95 % half-width t(2) · sd / sqrt(3) = 4.303 · 0.01 / 1.732.
    const SampleStats st = sampleStats({0.01, 0.03, 0.02});
    QCOMPARE(st.n, 3);
    QVERIFY(qAbs(st.mean - 0.02) < 1e-12);
    QVERIFY(qAbs(st.sd - 0.01) < 1e-12);
    QVERIFY(qAbs(st.halfWidth - 4.303 * 0.01 / std::sqrt(3.0)) < 1e-9);
    const SampleStats one = sampleStats({0.5});
    QCOMPARE(one.mean, 0.5);
    QCOMPARE(one.sd, -1.0);
    QCOMPARE(one.halfWidth, -1.0);
    QCOMPARE(tQuantile975(1), 12.706);
    QCOMPARE(tQuantile975(30), 2.042);
    QVERIFY(qAbs(tQuantile975(120) - 1.980) < 0.002);
    QVERIFY(std::isnan(tQuantile975(0)));

    // The sum rule adds the entries' variances; the paper's mean rule divides by L (here 2 entries).
    SweepResult r;
    r.dir = QStringLiteral("planted");
    r.baseline.accuracy = 0.9;
    r.baseline.seconds = 10;
    r.baseline.params = 1000;
    LayerSensitivity a, b;
    a.index = 1, a.accDrop = 0.03, a.accDropCi = 0.03, a.seeds = 3;
    b.index = 2, b.accDrop = 0.01, b.accDropCi = 0.04, b.seeds = 3;
    r.entries = {a, b};
    const CompoundEstimate sum = compoundEstimate(r, {1, 2}, CompoundRule::Sum);
    QVERIFY(qAbs(sum.accDrop - 0.04) < 1e-12);
    QVERIFY(qAbs(sum.accDropCi - 0.05) < 1e-12); // sqrt(0.03² + 0.04²)
    const CompoundEstimate mean = compoundEstimate(r, {1, 2}, CompoundRule::Mean);
    QVERIFY(qAbs(mean.accDropCi - 0.025) < 1e-12);
    QCOMPARE(compoundEstimate(r, {}, CompoundRule::Sum).accDropCi, 0.0);
    r.entries[1].accDropCi = -1; // one entry without an interval: the combination has none either
    QCOMPARE(compoundEstimate(r, {1, 2}, CompoundRule::Sum).accDropCi, -1.0);
}

void TestSearchSweep::pooledIntervalsNeverCollapseToZero()
{
    // Two seeds of one entry that happen to give the same difference (accuracies are quantised) have a zero
    // sample sd; the pooled variance of the sweep keeps its interval honest.
    QVector<LayerSensitivity> entries(3);
    const double sds[] = {0.0, 0.02, 0.04};
    for (int i = 0; i < 3; ++i) {
        entries[i].index = i + 1;
        entries[i].seeds = 2;
        entries[i].accDrop = 0.01;
        entries[i].accDropSd = sds[i];
    }
    LayerSensitivity oneSeed;
    oneSeed.index = 4;
    entries.push_back(oneSeed);
    poolDropIntervals(entries);
    const double pooled = std::sqrt((0.0 + 0.0004 + 0.0016) / 3); // 3 degrees of freedom
    for (int i = 0; i < 3; ++i)
        QVERIFY(qAbs(entries[i].accDropCi - 3.182 * pooled / std::sqrt(2.0)) < 1e-12);
    QVERIFY(entries[0].accDropCi > 0.02);
    QVERIFY(!entries[0].distinguishable());
    QCOMPARE(entries[3].accDropCi, -1.0); // one seed: still no interval
}

void TestSearchSweep::verdictSaysWhenLayersCannotBeToldApart()
{
    SweepResult r;
    r.kind = SweepKind::Layers;
    r.seeds = 3;
    r.baseline.accuracy = 0.8;
    r.baseline.accuracySd = 0.012;
    // Identical layers: every drop is seed noise around zero.
    for (int i = 1; i <= 4; ++i) {
        LayerSensitivity s;
        s.index = i;
        s.seeds = 3;
        s.accDrop = (i % 2 ? 1 : -1) * 0.004;
        s.accDropCi = 0.02;
        r.entries.push_back(s);
    }
    SweepVerdict v = sweepVerdict(r);
    QVERIFY(!v.canTell);
    QCOMPARE(v.separated, 0);
    QVERIFY2(v.sentence.contains(QLatin1String("cannot tell its layers apart")), qPrintable(v.sentence));
    QVERIFY2(v.sentence.contains(QStringLiteral("±1.20 pt")), qPrintable(v.sentence)); // the noise floor, in words
    QVERIFY(!v.sentence.contains(QLatin1Char('\n')));
    // One layer beyond its interval among four is what chance gives often enough (P = 0.19): still noise.
    QCOMPARE(chanceThreshold(4), 2);
    QCOMPARE(chanceThreshold(20), 4); // P(X >= 3) = 0.075, P(X >= 4) = 0.016 for Binomial(20, 0.05)
    QCOMPARE(chanceThreshold(1), 1);
    r.entries[2].accDrop = 0.08;
    v = sweepVerdict(r);
    QCOMPARE(v.separated, 1);
    QVERIFY(!v.canTell);
    QVERIFY2(v.sentence.contains(QLatin1String("no more than chance")) && v.sentence.contains(QLatin1String("cannot tell")),
             qPrintable(v.sentence));
    // Two planted separable layers: more than chance gives; the others stay noise.
    r.entries[0].accDrop = -0.06;
    v = sweepVerdict(r);
    QVERIFY(v.canTell);
    QCOMPARE(v.separated, 2);
    QVERIFY2(v.sentence.startsWith(QLatin1String("2 of 4 entries")), qPrintable(v.sentence));
    QVERIFY(!v.sentence.contains(QLatin1String("cannot tell")));
    // One seed: no interval at all, said as such.
    for (LayerSensitivity& s : r.entries)
        s.accDropCi = -1, s.seeds = 1;
    r.seeds = 1;
    v = sweepVerdict(r);
    QVERIFY(!v.canTell);
    QVERIFY2(v.sentence.contains(QLatin1String("one seed")) && v.sentence.contains(QLatin1String("--seeds")), qPrintable(v.sentence));
}

void TestSearchSweep::seededSweepPairsSeedsAndResumesPerUnit()
{
    SweepParams p = tinySweep();
    p.layers = QStringLiteral("2,3");
    p.seeds = 2;
    const QString dir = tmp_.filePath(QStringLiteral("seeds"));
    const SweepResult r = runSweep(p, dir);
    QVERIFY(r.complete());
    QCOMPARE(r.seeds, 2);
    const QDir root(dir);
    for (const char* run : {"baseline", "baseline-seed2", "layer-02", "layer-02-seed2", "layer-03", "layer-03-seed2"})
        QVERIFY2(QFile::exists(root.filePath(QStringLiteral("%1/summary.json").arg(QLatin1String(run)))), run);
    // Seed 2 trains with seed + 1 on the same images.
    const QJsonObject seed2 = io::readJsonObject(root.filePath("layer-02-seed2/params.json")).value("params").toObject();
    QCOMPARE(seed2.value("seed").toString(), QStringLiteral("6"));
    QCOMPARE(seed2.value("data").toObject().value("seed").toString(), QStringLiteral("5"));
    // Seed 1 is exactly the one-seed sweep's run.
    QCOMPARE(r.baseline.seedAccuracies.value(0), ref_.baseline.accuracy);
    const auto top1 = [&root](const QString& run) {
        return io::readJsonObject(root.filePath(run + QStringLiteral("/summary.json"))).value("final_test_top1").toDouble();
    };
    QCOMPARE(top1(QStringLiteral("layer-02")), ref_.entries[0].accuracy);
    // The drop is the mean of the paired differences; its interval uses the variance pooled over both entries
    // (2 degrees of freedom, t = 4.303); the noise floor is the baseline's sd.
    double pooledSs = 0;
    for (const LayerSensitivity& s : r.entries) {
        QCOMPARE(s.seeds, 2);
        const double d1 = top1(QStringLiteral("baseline")) - top1(s.runDir);
        const double d2 = top1(QStringLiteral("baseline-seed2")) - top1(s.runDir + QStringLiteral("-seed2"));
        QVERIFY(qAbs(s.accDrop - (d1 + d2) / 2) < 1e-12);
        QVERIFY(qAbs(s.accDropSd - std::abs(d1 - d2) / std::sqrt(2.0)) < 1e-12);
        pooledSs += (d1 - d2) * (d1 - d2) / 2;
    }
    for (const LayerSensitivity& s : r.entries)
        QVERIFY(qAbs(s.accDropCi - 4.303 * std::sqrt(pooledSs / 2) / std::sqrt(2.0)) < 1e-9);
    const double b1 = top1(QStringLiteral("baseline")), b2 = top1(QStringLiteral("baseline-seed2"));
    QVERIFY(qAbs(r.baseline.accuracy - (b1 + b2) / 2) < 1e-12);
    QVERIFY(qAbs(r.baseline.accuracySd - std::abs(b1 - b2) / std::sqrt(2.0)) < 1e-12);
    const QJsonObject json = io::readJsonObject(root.filePath("sensitivity.json"));
    QCOMPARE(json.value("seeds").toInt(), 2);
    QCOMPARE(json.value("verdict").toString(), sweepVerdict(r).sentence);
    QVERIFY(json.value("entries").toArray().first().toObject().contains("acc_drop_ci"));

    // Resume works per (entry, seed): one lost unit is the only one trained again.
    QVERIFY(QDir(root.filePath("layer-03-seed2")).removeRecursively());
    QStringList lines;
    TrainCallbacks log;
    log.log = [&lines](const QString& line) { lines << line; };
    const SweepResult resumed = runSweep(p, dir, log);
    QVERIFY2(lines.filter(QStringLiteral("5 of 6 runs already finished, 1 to go")).size() == 1, qPrintable(lines.join('\n')));
    QVERIFY(lines.filter(QStringLiteral("layer 3 (layer1.0.conv2) seed 2 finished")).size() == 1);
    QCOMPARE(resumed.entries[1].accDrop, r.entries[1].accDrop);
    QCOMPARE(resumed.entries[1].accDropCi, r.entries[1].accDropCi);

    // Fewer seeds than the folder holds is refused in one sentence, and nothing is lost.
    SweepParams fewer = p;
    fewer.seeds = 1;
    const QString message = errorOf([&] { runSweep(fewer, dir); });
    QVERIFY2(message.contains(QLatin1String("holds a sweep of 2 seeds per run, not 1")), qPrintable(message));
    QVERIFY(QFile::exists(root.filePath("layer-03-seed2/summary.json")));
    QCOMPARE(loadSweep(dir).seeds, 2);
}

void TestSearchSweep::validationSplitChoosesAndTestReports()
{
    SweepParams p = tinySweep();
    p.layers = QStringLiteral("2");
    p.train.data.valSubset = 64; // of the 256 training images: 192 train, 64 choose
    const QString dir = tmp_.filePath(QStringLiteral("validation"));
    const SweepResult r = runSweep(p, dir);
    QVERIFY(r.complete());
    QVERIFY(r.onValidation);
    QCOMPARE(sweepSplitName(r), QStringLiteral("validation"));
    const QDir root(dir);
    const QJsonObject base = io::readJsonObject(root.filePath("baseline/summary.json"));
    const QJsonObject layer = io::readJsonObject(root.filePath("layer-02/summary.json"));
    // The drops are the validation split's; the test split's accuracies are carried for the report only.
    QCOMPARE(r.baseline.accuracy, base.value("final_val_top1").toDouble());
    QCOMPARE(r.baseline.testAccuracy, base.value("final_test_top1").toDouble());
    QCOMPARE(r.entries[0].accuracy, layer.value("final_val_top1").toDouble());
    QCOMPARE(r.entries[0].testAccuracy, layer.value("final_test_top1").toDouble());
    QCOMPARE(r.entries[0].accDrop, r.baseline.accuracy - r.entries[0].accuracy);
    // The runs trained on 192 images, not 256 (the validation images are held out of training).
    const QJsonObject params = io::readJsonObject(root.filePath("baseline/params.json")).value("params").toObject();
    QCOMPARE(params.value("data").toObject().value("val_subset").toInt(), 64);
    const QJsonObject json = io::readJsonObject(root.filePath("sensitivity.json"));
    QCOMPARE(json.value("split").toString(), QStringLiteral("validation"));
    // A sweep without --val-subset says that its drops are the test split's.
    QCOMPARE(sweepSplitName(ref_), QStringLiteral("test"));
    QVERIFY(!io::readJsonObject(QDir(reference_).filePath("baseline/params.json")).value("params").toObject()
                 .value("data").toObject().contains("val_subset")); // runs without one keep their old params.json
}
