// The desktop application with a real one-node Slurm cluster (started and stopped around this executable by
// tests/slurm/with-local-cluster.sh; CTest `ui_cluster`, label slurm): "Run on: Slurm cluster" in the sweep
// dialog submits the sweep's units, the Jobs panel lists them under the job with their states and counts the
// finished ones, the Training and Sensitivity tabs fill in while units finish, a local job is not held back by
// the cluster job, Cancel scancels and "Resubmit failed" finishes only what was left; the settings are
// remembered and Test connection says whether sinfo reaches the controller.
#include <QtTest>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>

#include "core/cluster/slurm.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/kinds/typed_options.h"
#include "ui/jobs_panel.h"
#include "ui/kind_dialog.h"
#include "ui/layer_table_model.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/run_on_box.h"
#include "ui/sensitivity_plot.h"
#include "ui/sweep_dialog.h"
#include "ui/train_dialog.h"
#include "ui/training_plot.h"

using namespace ranklab;
using namespace ranklab::ui;

class TestUiCluster final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init() { QSettings().clear(); }
    void runOnBoxRemembersAndTestsTheConnection();
    void sweepDialogRunsTheUnitsOnTheCluster();
    void cancelThenResubmitFromThePanel();
    void aTrainingRunsAsOneUnit();
};

namespace {
void useLenet(MainWindow& window, int subset)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.modelPanel()->setModelSpec(defaultModelSpec(QStringLiteral("lenet5")));
    QVERIFY(window.modelReady() || loaded.wait(60000));
    DataSpec data;
    data.subset = subset;
    data.testSubset = 100;
    window.modelPanel()->setDataSpec(data);
}

/// The dialog's "Run on" set to the cluster, the nodes' ranklab-cli the one just built.
void chooseCluster(RunOnBox* box)
{
    box->setOnCluster(true);
    box->findChild<QLineEdit*>(QStringLiteral("cli-path"))->setText(QStringLiteral(RANKLAB_CLI));
    box->findChild<QLineEdit*>(QStringLiteral("time"))->setText(QStringLiteral("00:10:00"));
}

QTreeWidgetItem* rowOf(JobsPanel* panel, Job* job)
{
    panel->selectJob(job);
    return panel->tree()->currentItem();
}

QStringList unitStates(QTreeWidgetItem* row)
{
    QStringList states;
    for (int i = 0; i < row->childCount(); ++i)
        states << row->child(i)->text(1);
    return states;
}
} // namespace

void TestUiCluster::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLabTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_ui_cluster"));
    if (qEnvironmentVariableIsEmpty("SLURM_CONF"))
        QSKIP("needs the local Slurm cluster: run through tests/slurm/with-local-cluster.sh (CTest ui_cluster)");
}

void TestUiCluster::runOnBoxRemembersAndTestsTheConnection()
{
    {
        RunOnBox box;
        QVERIFY(!box.onCluster()); // first start: this computer
        chooseCluster(&box);
        box.findChild<QLineEdit*>(QStringLiteral("partition"))->setText(QStringLiteral("debug"));
        box.findChild<QLineEdit*>(QStringLiteral("time"))->setText(QStringLiteral("2 hours"));
        QVERIFY2(box.validate().contains(QStringLiteral("2 hours")), qPrintable(box.validate()));
        box.findChild<QLineEdit*>(QStringLiteral("time"))->setText(QStringLiteral("02:00:00"));
        QVERIFY(box.validate().isEmpty());
        Params p = JobKinds::find(QStringLiteral("sweep"))->params();
        box.apply(p);
        QCOMPARE(p.value(QStringLiteral("executor")), QStringLiteral("slurm"));
        QCOMPARE(p.value(QStringLiteral("partition")), QStringLiteral("debug"));
        QVERIFY(p.flag(QStringLiteral("wait")));
        box.remember();
    }
    RunOnBox again;
    QVERIFY(again.onCluster());
    QCOMPARE(again.options().partition, QStringLiteral("debug"));
    QCOMPARE(again.options().time, QStringLiteral("02:00:00"));

    QSignalSpy tested(&again, &RunOnBox::connectionTested);
    again.testConnection();
    QVERIFY(tested.wait(30000));
    QVERIFY2(tested.at(0).at(0).toBool(), qPrintable(tested.at(0).at(1).toString()));
    QVERIFY(again.connectionResult()->text().contains(QStringLiteral("debug")));
    // A controller that cannot be reached (the same cluster's configuration with a port nobody listens on): one
    // sentence, shown under the button.
    const QByteArray conf = qgetenv("SLURM_CONF");
    QFile original(QString::fromLocal8Bit(conf));
    QVERIFY(original.open(QIODevice::ReadOnly));
    QTemporaryDir tmp;
    QFile dead(tmp.filePath(QStringLiteral("slurm.conf")));
    QVERIFY(dead.open(QIODevice::WriteOnly));
    dead.write(QString::fromUtf8(original.readAll()).replace(QRegularExpression(QStringLiteral("(?m)^SlurmctldPort=.*$")),
                                                                 QStringLiteral("SlurmctldPort=9")).toUtf8());
    dead.close();
    qputenv("SLURM_CONF", dead.fileName().toLocal8Bit());
    const auto restore = qScopeGuard([conf] { qputenv("SLURM_CONF", conf); });
    again.testConnection();
    QVERIFY(tested.wait(60000));
    QVERIFY(!tested.at(1).at(0).toBool());
    QVERIFY2(again.connectionResult()->text().contains(QStringLiteral("sinfo")), qPrintable(again.connectionResult()->text()));

    // Every dialog of a kind with units has "Run on" in place of the raw cluster options; others have none.
    KindDialog groups(*JobKinds::find(QStringLiteral("groups")), JobKinds::find(QStringLiteral("groups"))->params());
    QVERIFY(groups.runOn());
    QVERIFY(!groups.editor(QStringLiteral("partition")));
    QVERIFY(groups.runOn()->onCluster()); // remembered
    KindDialog info(*JobKinds::find(QStringLiteral("info")), JobKinds::find(QStringLiteral("info"))->params());
    QVERIFY(!info.runOn());
}

void TestUiCluster::sweepDialogRunsTheUnitsOnTheCluster()
{
    QTemporaryDir ws;
    MainWindow window(ws.path());
    useLenet(window, 300);
    SweepDialog dialog(window.baseTrainParams(), window.layerModel()->modelInfo(), QStringLiteral("1-2"), &window);
    chooseCluster(dialog.runOn());
    QVERIFY2(dialog.validate().isEmpty(), qPrintable(dialog.validate()));
    Params options = dialog.withRunOn(kinds::sweepOptions(dialog.params()));
    QCOMPARE(options.value(QStringLiteral("executor")), QStringLiteral("slurm"));
    options.set(QStringLiteral("seeds"), QStringLiteral("2"));
    options.set(QStringLiteral("threads"), QStringLiteral("1"));

    Job* sweep = window.launchKind(*JobKinds::find(options.command()), options);
    QVERIFY(sweep && sweep->runsElsewhere());
    const QString dir = sweep->runDir();
    // While units finish, the folder is re-read: curves of finished runs in the Training tab before the end.
    int curvesWhileRunning = 0, total = 0;
    connect(sweep, &Job::unitsChanged, this, [&](const QJsonObject& states) {
        const int done = states.value(QStringLiteral("counts")).toObject().value(QStringLiteral("done")).toInt();
        total = states.value(QStringLiteral("units")).toArray().size();
        if (done > 0 && done < total) {
            int curves = 0;
            for (const QString& run : window.trainingPlot()->runs().keys())
                curves += run.startsWith(dir);
            curvesWhileRunning = std::max(curvesWhileRunning, curves);
        }
    });
    // A local job is not held back: the cluster job only waits, it takes no local slot.
    TrainParams plain = window.baseTrainParams();
    plain.epochs = 1;
    Job* local = window.launchTraining(plain);
    QVERIFY(local);
    QCOMPARE(local->state(), Job::State::Running);

    QSignalSpy ended(&window.runner(), &JobRunner::jobEnded);
    while (sweep->state() == Job::State::Running || local->state() == Job::State::Running)
        QVERIFY(ended.wait(300000));
    QCOMPARE(local->state(), Job::State::Finished);
    QVERIFY2(sweep->state() == Job::State::Finished, qPrintable(sweep->result().text));
    QCOMPARE(total, 6); // 2 seeds × (baseline + 2 layers)
    QVERIFY(curvesWhileRunning > 0);

    QTreeWidgetItem* row = rowOf(window.jobsPanel(), sweep);
    QCOMPARE(row->childCount(), 6);
    QCOMPARE(unitStates(row), QStringList(6, QStringLiteral("done")));
    QVERIFY(row->text(0).contains(QStringLiteral("6/6 units")));
    QCOMPARE(static_cast<QProgressBar*>(window.jobsPanel()->tree()->itemWidget(row, 2))->value(), 1000);
    QCOMPARE(window.sensitivityPlot()->rows().size(), 2);
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/sensitivity.json")));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/slurm/jobs.json")));
}

void TestUiCluster::cancelThenResubmitFromThePanel()
{
    QTemporaryDir ws;
    MainWindow window(ws.path());
    useLenet(window, 4000);
    SweepDialog dialog(window.baseTrainParams(), window.layerModel()->modelInfo(), QStringLiteral("1-2"), &window);
    chooseCluster(dialog.runOn());
    dialog.runOn()->findChild<QSpinBox*>(QStringLiteral("max-concurrent"))->setValue(1);
    Params options = dialog.withRunOn(kinds::sweepOptions(dialog.params()));
    options.set(QStringLiteral("seeds"), QStringLiteral("1"));
    options.set(QStringLiteral("threads"), QStringLiteral("1"));
    options.set(QStringLiteral("epochs"), QStringLiteral("2"));
    Job* sweep = window.launchKind(*JobKinds::find(options.command()), options);
    QVERIFY(sweep);
    JobsPanel* panel = window.jobsPanel();
    QPushButton* cancelButton = nullptr;
    QPushButton* resubmitButton = nullptr;
    for (QPushButton* b : panel->findChildren<QPushButton*>()) {
        if (b->text() == QLatin1String("Cancel"))
            cancelButton = b;
        if (b->text() == QLatin1String("Resubmit failed"))
            resubmitButton = b;
    }
    QVERIFY(cancelButton && resubmitButton);
    QTreeWidgetItem* row = rowOf(panel, sweep);
    QTRY_VERIFY_WITH_TIMEOUT(unitStates(row).contains(QStringLiteral("running")), 120000);
    QVERIFY(resubmitButton->isVisible() || !panel->isVisible());
    QVERIFY(!resubmitButton->isEnabled()); // nothing to resubmit while it runs
    panel->selectJob(sweep);
    QVERIFY(cancelButton->isEnabled());
    cancelButton->click();
    QTRY_COMPARE_WITH_TIMEOUT(sweep->state(), Job::State::Cancelled, 60000);
    // Nothing left queued that the user did not ask for; the finished units stay.
    int active = 0, unfinished = 0;
    for (const cluster::UnitStatus& st : cluster::unitStates(sweep->runDir())) {
        active += st.state == cluster::UnitState::Pending || st.state == cluster::UnitState::Running;
        unfinished += st.state != cluster::UnitState::Done;
    }
    QCOMPARE(active, 0);
    QVERIFY(unfinished > 0);
    panel->selectJob(sweep);
    QVERIFY(resubmitButton->isEnabled());

    QSignalSpy added(&window.runner(), &JobRunner::jobAdded);
    resubmitButton->click();
    QCOMPARE(added.size(), 1);
    Job* again = added.at(0).at(0).value<Job*>();
    QCOMPARE(again->runDir(), sweep->runDir());
    QTRY_VERIFY_WITH_TIMEOUT(again->state() != Job::State::Running && again->state() != Job::State::Queued, 300000);
    QVERIFY2(again->state() == Job::State::Finished, qPrintable(again->result().text));
    // Only the unfinished units were submitted again: the second submission names exactly them.
    const QVector<cluster::Submission> subs = cluster::submissions(sweep->runDir());
    QCOMPARE(subs.size(), 2);
    QCOMPARE(subs[1].units.size(), unfinished);
    QCOMPARE(window.sensitivityPlot()->rows().size(), 2);
}

void TestUiCluster::aTrainingRunsAsOneUnit()
{
    // A job without units of its own (here a training) goes to the cluster whole, as one task: its curve appears
    // when it finishes, its result is the one it prints locally.
    QTemporaryDir ws;
    MainWindow window(ws.path());
    useLenet(window, 300);
    TrainParams base = window.baseTrainParams();
    base.epochs = 2;
    TrainDialog dialog(base, &window);
    QVERIFY(dialog.runOn());
    chooseCluster(dialog.runOn());
    Params options = dialog.withRunOn(kinds::trainOptions(dialog.params()));
    options.set(QStringLiteral("threads"), QStringLiteral("1"));
    Job* job = window.launchKind(*JobKinds::find(QStringLiteral("train")), options);
    QVERIFY(job && job->runsElsewhere());
    QTRY_VERIFY_WITH_TIMEOUT(job->state() != Job::State::Running && job->state() != Job::State::Queued, 300000);
    QVERIFY2(job->state() == Job::State::Finished, qPrintable(job->result().text));
    QVERIFY2(job->result().text.contains(QStringLiteral("test top-1")), qPrintable(job->result().text));
    QTreeWidgetItem* row = rowOf(window.jobsPanel(), job);
    QCOMPARE(unitStates(row), QStringList{QStringLiteral("done")});
    const RunCurve curve = window.trainingPlot()->runs().value(QDir(job->runDir()).absolutePath());
    QCOMPARE(curve.epochs.size(), 2);
    QVERIFY(curve.completed);
    // job.json still says how the user sent it.
    QCOMPARE(readJob(job->runDir(), QString()).value(QStringLiteral("executor")), QStringLiteral("slurm"));
}

QTEST_MAIN(TestUiCluster)
#include "test_ui_cluster.moc"
