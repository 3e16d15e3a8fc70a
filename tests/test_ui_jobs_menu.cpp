// Every command runs from the desktop: the Jobs menu is built from the job-kind registry, each entry opens
// its form (a hand-made dialog or the schema form), pre-filled from the model panel, the checked layers
// and the weights, and a tiny run of each kind finishes, its result shown where it belongs.
#include <QtTest>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include "core/jobs/job_kind.h"
#include "ui/job_dialog.h"
#include "ui/jobs_panel.h"
#include "ui/kind_dialog.h"
#include "ui/layer_table_model.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/param_options.h"
#include "ui/training_plot.h"
#include "ui/pareto_plot.h"

using namespace ranklab;
using namespace ranklab::ui;

class TestUiJobsMenu final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyKindRunsFromTheJobsMenu();
    void schemaFormRefusesWhatTheCliRefuses();
};

void TestUiJobsMenu::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLabTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_ui_jobs_menu"));
    QSettings().clear();
}

namespace {
/// Triggers the Jobs menu entry of `id`, fills the modal dialog it opens with `options` (by option name)
/// and presses Start. Returns the job that was queued, or nullptr (the failure is recorded).
Job* runFromMenu(MainWindow& window, const QString& id, const QMap<QString, QString>& options)
{
    auto* action = window.findChild<QAction*>(QStringLiteral("job-") + id);
    if (!action) {
        qWarning("no Jobs menu entry for %s", qPrintable(id));
        return nullptr;
    }
    QSignalSpy added(&window.runner(), &JobRunner::jobAdded);
    bool accepted = false;
    QString problem;
    QTimer::singleShot(0, [&] {
        auto* dialog = qobject_cast<JobDialog*>(QApplication::activeModalWidget());
        if (!dialog) {
            problem = QStringLiteral("no dialog opened");
            return;
        }
        if (auto* form = qobject_cast<KindDialog*>(dialog)) {
            for (auto it = options.begin(); it != options.end(); ++it)
                form->setValue(it.key(), it.value());
        } else {
            QStringList problems;
            applyWidgetOptions(dialog, options, &problems);
            if (!problems.isEmpty())
                problem = problems.join(QLatin1Char(' '));
        }
        problem += dialog->validate();
        dialog->accept();
        accepted = dialog->result() == QDialog::Accepted;
        if (!accepted)
            dialog->reject();
    });
    action->trigger();
    if (!accepted || added.isEmpty()) {
        qWarning("%s: the dialog did not start a job: %s", qPrintable(id), qPrintable(problem));
        return nullptr;
    }
    return added.first().first().value<Job*>();
}
} // namespace

void TestUiJobsMenu::everyKindRunsFromTheJobsMenu()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(window.modelReady() || QSignalSpy(&window, &MainWindow::modelLoaded).wait(60000));
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.modelPanel()->setModelSpec(defaultModelSpec(QStringLiteral("lenet5")));
    QVERIFY(loaded.wait(60000));
    DataSpec data;
    data.subset = 300;
    data.testSubset = 200;
    window.modelPanel()->setDataSpec(data);
    window.layerModel()->setCheckedLayers({1, 2});

    // Every registered kind has exactly one entry.
    QStringList ids;
    for (const JobKind* k : JobKinds::all()) {
        ids << k->id;
        QVERIFY2(window.findChild<QAction*>(QStringLiteral("job-") + k->id), qPrintable(k->id));
    }
    const QString one = QStringLiteral("1");
    const QMap<QString, QString> short1{{QStringLiteral("epochs"), one}, {QStringLiteral("threads"), one}};
    auto finish = [&window](Job* job) {
        if (!job)
            return false;
        window.runner().waitForAll();
        if (job->state() != Job::State::Finished)
            qWarning("%s ended in state %d", qPrintable(job->kind()), int(job->state()));
        return job->state() == Job::State::Finished;
    };

    Job* train = runFromMenu(window, QStringLiteral("train"), short1);
    QVERIFY(finish(train));
    const QString weights = train->runDir() + QStringLiteral("/model.rlk");
    QSignalSpy checked(&window, &MainWindow::weightsChecked);
    window.openWeights(weights);
    QVERIFY(checked.wait(60000));
    QVERIFY(checked.first().at(1).toBool());

    QVERIFY(finish(runFromMenu(window, QStringLiteral("info"), {})));
    QVERIFY(window.reports()->toPlainText().contains(QLatin1String("lenet5:")));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("eval"), {})));
    QVERIFY(window.reports()->toPlainText().contains(QLatin1String("top-1")));
    const QString pth = dir.filePath(QStringLiteral("lenet5.pth"));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("export"), {{QStringLiteral("out"), pth}})));
    QVERIFY(QFile::exists(pth));
    // File ▸ Export model…: the export form for the open weights, TorchScript, a .pt file beside the weights.
    {
        auto* exportAction = window.findChild<QAction*>(QStringLiteral("file-export"));
        QVERIFY(exportAction);
        QSignalSpy added(&window.runner(), &JobRunner::jobAdded);
        QString format, out;
        QTimer::singleShot(0, [&] {
            auto* form = qobject_cast<KindDialog*>(QApplication::activeModalWidget());
            if (!form)
                return;
            const Params p = form->params();
            format = p.choice(QStringLiteral("format"));
            out = p.value(QStringLiteral("out"));
            form->accept();
        });
        exportAction->trigger();
        QCOMPARE(format, QStringLiteral("torchscript"));
        QCOMPARE(out, QFileInfo(weights).absolutePath() + QStringLiteral("/model.pt"));
        QCOMPARE(added.size(), 1);
        QVERIFY(finish(added.first().first().value<Job*>()));
        QFile script(out);
        QVERIFY(script.open(QIODevice::ReadOnly));
        QCOMPARE(script.read(2), QByteArray("PK")); // a TorchScript archive is a zip file
    }
    // The model panel's device field reaches every job as --device; this CPU-only LibTorch refuses cuda in one sentence.
    {
        window.modelPanel()->setDevice(QStringLiteral("cuda"));
        Job* onGpu = runFromMenu(window, QStringLiteral("eval"), {});
        QVERIFY(onGpu);
        QCOMPARE(onGpu->params().value(QStringLiteral("device")), QStringLiteral("cuda"));
        window.runner().waitForAll();
        QCOMPARE(onGpu->state(), Job::State::Failed);
        const auto cudaSentence = [&window] {
            for (QMessageBox* box : window.findChildren<QMessageBox*>())
                if (box->text().contains(QLatin1String("built against a LibTorch without CUDA"))) {
                    box->close();
                    return true;
                }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(cudaSentence(), 10000);
        window.modelPanel()->setDevice(QStringLiteral("cpu"));
    }
    // cost lands in the layer table: the measured column fills in for the conv layers.
    QVERIFY(window.layerModel()->data(window.layerModel()->index(0, LayerTableModel::MeasuredSpeedup)).isNull());
    QVERIFY(finish(runFromMenu(window, QStringLiteral("cost"),
                               {{QStringLiteral("size"), QStringLiteral("0.5")}, {QStringLiteral("measure"), one}, {QStringLiteral("batch"), QStringLiteral("4")}})));
    QTRY_VERIFY(window.layerModel()->data(window.layerModel()->index(0, LayerTableModel::MeasuredSpeedup)).toString().endsWith(QStringLiteral("×")));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("basis-train"),
                               {{QStringLiteral("epochs"), QStringLiteral("2")}, {QStringLiteral("skip"), one}, {QStringLiteral("threads"), one}})));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("prune"), {{QStringLiteral("ratio"), QStringLiteral("0.5")}})));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("sanity-check"),
                               {{QStringLiteral("epochs"), QStringLiteral("2")}, {QStringLiteral("threads"), one}})));
    QMap<QString, QString> oneSeed = short1;
    oneSeed.insert(QStringLiteral("seeds"), one); // the dialog's first-run default is 3
    Job* sweep = runFromMenu(window, QStringLiteral("sweep"), oneSeed);
    // Live: every epoch of every run of the sweep finds its curve in the Training tab as it arrives.
    int liveEpochs = 0, liveDrawn = 0;
    connect(sweep, &Job::epochFinished, &window, [&](const EpochMetrics& m) {
        ++liveEpochs;
        const auto it = window.trainingPlot()->runs().find(m.runDir);
        liveDrawn += it != window.trainingPlot()->runs().end() && !it->epochs.isEmpty() && it->epochs.last().epoch == m.epoch;
    });
    QVERIFY(finish(sweep));
    QVERIFY(liveEpochs >= 2);
    QCOMPARE(liveDrawn, liveEpochs);
    // The sweep's own runs are training runs in the Training tab, and the Pareto tab says what one seed can tell.
    QTRY_VERIFY(window.trainingPlot()->runs().contains(sweep->runDir() + QStringLiteral("/baseline")));
    QVERIFY(window.trainingPlot()->runs().contains(sweep->runDir() + QStringLiteral("/layer-01")));
    QVERIFY2(window.paretoPlot()->verdict().contains(QLatin1String("one seed")), qPrintable(window.paretoPlot()->verdict()));
    // With seeds, the ticked seeds of one run draw as one band around their mean.
    QMap<QString, QString> seeded = short1;
    seeded.insert(QStringLiteral("seeds"), QStringLiteral("2"));
    seeded.insert(QStringLiteral("layers"), one);
    Job* seededSweep = runFromMenu(window, QStringLiteral("sweep"), seeded);
    QVERIFY(finish(seededSweep));
    const QString base1 = seededSweep->runDir() + QStringLiteral("/baseline"), base2 = base1 + QStringLiteral("-seed2");
    QTRY_VERIFY(window.trainingPlot()->runs().contains(base2));
    QCOMPARE(window.trainingPlot()->runs().value(base2).series, QStringLiteral("baseline"));
    window.trainingPlot()->setShownRuns({base1, base2, seededSweep->runDir() + QStringLiteral("/layer-01")});
    QCOMPARE(window.trainingPlot()->drawnBand(base1), 2);
    QCOMPARE(window.trainingPlot()->drawnBand(base2), 2);
    QCOMPARE(window.trainingPlot()->drawnBand(seededSweep->runDir() + QStringLiteral("/layer-01")), 0); // one seed shown: a line
    QVERIFY(finish(runFromMenu(window, QStringLiteral("groups"),
                               {{QStringLiteral("group"), QStringLiteral("a=1; b=2")}, {QStringLiteral("size"), QStringLiteral("0.5")},
                                {QStringLiteral("epochs"), one}, {QStringLiteral("threads"), one}})));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("proxy-sweep"),
                               {{QStringLiteral("size"), QStringLiteral("0.5")}, {QStringLiteral("epochs"), one},
                                {QStringLiteral("eval-images"), QStringLiteral("100")}, {QStringLiteral("threads"), one}})));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("pareto"), {{QStringLiteral("sweep"), sweep->runDir()}})));
    QVERIFY(window.reports()->toPlainText().contains(QLatin1String("Pareto front")));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("spectrum"), {{QStringLiteral("samples"), QStringLiteral("200")}})));
    QVERIFY(finish(runFromMenu(window, QStringLiteral("ron"),
                               {{QStringLiteral("samples"), QStringLiteral("300")}, {QStringLiteral("held-out"), QStringLiteral("100")},
                                {QStringLiteral("latency-repeats"), QStringLiteral("0")}})));

    // A run folder of the workspace can be run again from the GUI (what Jobs ▸ Re-run a run folder… does).
    Job* again = window.rerunFolder(sweep->runDir());
    QVERIFY(again);
    QCOMPARE(again->kind(), QStringLiteral("sweep"));
    QVERIFY(again->runDir() != sweep->runDir());
    QCOMPARE(again->params().value(QStringLiteral("layers")), sweep->params().value(QStringLiteral("layers")));
    window.runner().cancel(again);
    window.runner().waitForAll();
}

void TestUiJobsMenu::schemaFormRefusesWhatTheCliRefuses()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(window.modelReady() || QSignalSpy(&window, &MainWindow::modelLoaded).wait(60000));
    std::unique_ptr<KindDialog> prune = window.createKindDialog(QStringLiteral("prune"));
    QVERIFY(prune);
    // The form shows the schema's defaults (prune's lower learning rate) and checks with the schema.
    QCOMPARE(qobject_cast<QLineEdit*>(prune->editor(QStringLiteral("lr")))->text(), QStringLiteral("0.01"));
    QVERIFY(!prune->editor(QStringLiteral("out"))); // the workspace gives the run folder
    prune->setValue(QStringLiteral("weights"), QStringLiteral("/w.rlk"));
    prune->setValue(QStringLiteral("ratio"), QStringLiteral("1"));
    QVERIFY(prune->validate().contains(QLatin1String("--ratio")));
    prune->setValue(QStringLiteral("ratio"), QStringLiteral("0.5"));
    prune->setValue(QStringLiteral("width"), QStringLiteral("65"));
    QVERIFY(prune->validate().contains(QLatin1String("--width must be a number from 0.001 to 64")));
    prune->setValue(QStringLiteral("width"), QStringLiteral("1"));
    QCOMPARE(prune->validate(), QString());
}

QTEST_MAIN(TestUiJobsMenu)
#include "test_ui_jobs_menu.moc"
