// The workspace is the source of truth: runs made from the GUI (a basis-training job and a real
// sensitivity sweep) come back — curves, sensitivity bars, Pareto points — when the workspace is opened
// again in a new window, and a click on a restored Pareto point checks exactly its layers.
#include <QtTest>

#include <QSettings>
#include <QTemporaryDir>
#include <qcustomplot.h>

#include "core/jobs/workspace.h"
#include "ui/layer_table_model.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/pareto_plot.h"
#include "ui/sensitivity_plot.h"
#include "ui/training_plot.h"

using namespace ranklab;
using namespace ranklab::ui;

class TestUiWorkspace final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init() { QSettings().clear(); } // every test starts from the first-start defaults
    void reopeningRestoresRuns();
};

namespace {
void useLenet(MainWindow& window)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.modelPanel()->setModelSpec(defaultModelSpec(QStringLiteral("lenet5")));
    QVERIFY(window.modelReady() || loaded.wait(60000));
    DataSpec data;
    data.subset = 300;
    data.testSubset = 200;
    window.modelPanel()->setDataSpec(data);
}
} // namespace

void TestUiWorkspace::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLabTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_ui_workspace"));
    QSettings().clear();
}

void TestUiWorkspace::reopeningRestoresRuns()
{
    QTemporaryDir ws;
    QString trainDir, sweepDir, plainDir;
    {
        MainWindow window(ws.path());
        useLenet(window);
        basis::BasisTrainParams b;
        b.train = window.baseTrainParams();
        b.train.epochs = 2;
        b.layers = QStringLiteral("1-2");
        b.skipEpochs = 1;
        search::SweepParams s;
        s.train = window.baseTrainParams();
        s.train.epochs = 1;
        s.layers = QStringLiteral("1-2");
        // Two plain trainings, the one of another model last: the baseline the reopened window picks is
        // the one of the model it shows, not simply the newest.
        TrainParams plain = window.baseTrainParams();
        plain.epochs = 1;
        TrainParams other = plain;
        other.model = defaultModelSpec(QStringLiteral("lenet300"));
        QSignalSpy ended(&window.runner(), &JobRunner::jobEnded);
        Job* train = window.launchBasisTraining(b);
        Job* sweep = window.launchSweep(s); // queued behind the first
        QVERIFY(train && sweep);
        QCOMPARE(sweep->state(), Job::State::Queued);
        Job* plainRun = window.launchTraining(plain);
        QTest::qWait(1100); // run folders are named by the second: the other model's run is the newest
        Job* otherRun = window.launchTraining(other);
        QVERIFY(plainRun && otherRun);
        while (ended.size() < 4)
            QVERIFY(ended.wait(180000));
        QCOMPARE(plainRun->state(), Job::State::Finished);
        QCOMPARE(otherRun->state(), Job::State::Finished);
        plainDir = plainRun->runDir();
        QCOMPARE(train->state(), Job::State::Finished);
        QCOMPARE(sweep->state(), Job::State::Finished);
        trainDir = train->runDir();
        sweepDir = sweep->runDir();
        // The finished sweep is shown at once.
        QCOMPARE(window.sensitivityPlot()->rows().size(), 2);
        QCOMPARE(window.paretoPlot()->points().size(), 4);
    }
    const QVector<RunEntry> runs = Workspace(ws.path()).runs();
    QCOMPARE(runs.size(), 4);

    MainWindow again(ws.path());
    again.resize(1300, 850);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    useLenet(again);
    const RunCurve curve = again.trainingPlot()->runs().value(trainDir);
    QCOMPARE(curve.epochs.size(), 2);
    QCOMPARE(again.modelPanel()->modelSpec().name, QStringLiteral("lenet5"));
    QCOMPARE(again.trainingPlot()->baseline(), plainDir);
    QVERIFY(curve.completed);
    QCOMPARE(curve.skipBoundary(), 1);
    QCOMPARE(again.trainingPlot()->drawnPoints(trainDir), 2);
    QCOMPARE(again.trainingPlot()->drawnSkipLine(trainDir), 1);

    const QVector<SensitivityRow> rows = again.sensitivityPlot()->rows();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0].index, 1);
    QCOMPARE(rows[1].index, 2);
    QVERIFY(rows[0].sizeDiff < 0 && rows[1].sizeDiff < 0); // basis convs of size 0.5 shrink the model
    // The sweep's accuracy drops reach the layer table.
    QCOMPARE(again.layerModel()->data(again.layerModel()->index(0, LayerTableModel::Sensitivity)).toString(),
             QString::number(rows[0].accDrop, 'f', 2));

    ParetoPlot* pareto = again.paretoPlot();
    const QVector<ParetoPoint> points = pareto->points();
    QCOMPARE(points.size(), 4); // all 2^2 combinations of the two swept layers
    int onFront = 0;
    for (const ParetoPoint& p : points)
        onFront += p.onTimeFront;
    QVERIFY(onFront >= 1);
    again.tabs()->setCurrentWidget(pareto);
    // Training times are measured (noisy: on a busy machine several combinations can land on one pixel),
    // model sizes are exact parameter counts, so the clicks go to the size axis where the four
    // combinations of two differently sized layers are apart by construction.
    pareto->setXAxis(ParetoPlot::XAxis::Size);
    pareto->fitView();
    pareto->plot()->replot();
    for (int i = 0; i < points.size(); ++i)
        for (int j = i + 1; j < points.size(); ++j)
            QVERIFY2(QLineF(pareto->pixelOf(i), pareto->pixelOf(j)).length() >= 4,
                     qPrintable(QStringLiteral("points %1 and %2 share a pixel").arg(i).arg(j)));
    for (int i = 0; i < points.size(); ++i) {
        QTest::mouseClick(pareto->plot(), Qt::LeftButton, {}, pareto->pixelOf(i).toPoint());
        QCOMPARE(pareto->selectedPoint(), i);
        QCOMPARE(again.layerModel()->checkedLayers(), points[i].layers);
    }
}

QTEST_MAIN(TestUiWorkspace)
#include "test_ui_workspace.moc"
