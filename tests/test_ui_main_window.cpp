// The GUI shell: the layer table shows the registry, a training job runs in the background while the
// event loop stays responsive, and its epochs reach the plot.
#include <QtTest>

#include <QElapsedTimer>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <qcustomplot.h>

#include "core/jobs/workspace.h"
#include "core/models/registry.h"
#include "ui/main_window.h"

using namespace ranklab;

class TestUiMainWindow final : public QObject {
    Q_OBJECT
private slots:
    void layerTableShowsRegistry();
    void trainingRunsInBackground();
};

namespace {
TrainParams tinyRun()
{
    TrainParams p;
    p.model = defaultModelSpec(QStringLiteral("lenet300"));
    p.model.numClasses = 10;
    p.data.subset = 600;
    p.data.testSubset = 200;
    p.epochs = 2;
    p.lr = 0.05;
    p.threads = 1;
    return p;
}
} // namespace

void TestUiMainWindow::layerTableShowsRegistry()
{
    QTemporaryDir dir;
    TrainParams p = tinyRun();
    p.model = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    p.model.width = 0.25;
    p.model.inChannels = 1;
    p.model.inputSize = 28;
    ui::MainWindow window(p, dir.path());
    const ModelInfo info = describeModel(p.model);
    QCOMPARE(window.layerTable()->rowCount(), int(info.layers.size()));
    QCOMPARE(window.layerTable()->item(7, 1)->text(), QStringLiteral("layer2.0.downsample.0"));
}

void TestUiMainWindow::trainingRunsInBackground()
{
    QTemporaryDir dir;
    ui::MainWindow window(tinyRun(), dir.path());
    window.show();
    QSignalSpy ended(&window.runner(), &JobRunner::jobEnded);

    // Measure the longest gap between 10 ms timer ticks while the job trains: the UI thread must not stall.
    QElapsedTimer clock;
    qint64 last = 0, worstGap = 0;
    QTimer ticker;
    ticker.setInterval(10);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        worstGap = std::max(worstGap, now - last);
        last = now;
    });
    clock.start();
    ticker.start();
    window.startTraining();
    QVERIFY(ended.wait(120000));
    ticker.stop();

    QCOMPARE(window.runner().jobs().size(), 1);
    QCOMPARE(window.runner().jobs().first()->state(), Job::State::Finished);
    QCOMPARE(window.plot()->graph(0)->dataCount(), 2); // one accuracy point per epoch
    QVERIFY2(worstGap < 500, qPrintable(QStringLiteral("UI thread stalled for %1 ms").arg(worstGap)));
    const auto runs = Workspace(dir.path()).runs();
    QCOMPARE(runs.size(), 1);
    QVERIFY(runs.first().completed);
    QCOMPARE(runs.first().kind, QStringLiteral("train"));
}

QTEST_MAIN(TestUiMainWindow)
#include "test_ui_main_window.moc"
