// The main window without long jobs: the layer table shows the model panel's model, checked layers fill
// a job dialog, a click on a Pareto point checks exactly its layers, bad weights are refused, and the
// training plot draws the skip boundary from the phase column.
#include <QtTest>

#include <QFile>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <qcustomplot.h>

#include "core/models/registry.h"
#include "ui/basis_train_dialog.h"
#include "ui/kind_dialog.h"
#include "ui/ron_dialog.h"
#include "ui/spectrum_dialog.h"
#include "ui/sweep_dialog.h"
#include "ui/train_dialog.h"
#include "ui/layer_table_model.h"
#include "ui/main_window.h"
#include "ui/model_panel.h"
#include "ui/pareto_plot.h"
#include "ui/training_plot.h"

using namespace ranklab;
using namespace ranklab::ui;

class TestUiMainWindow final : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init() { QSettings().clear(); } // every test starts from the first-start defaults
    void layerTableShowsDefaultModel();
    void checkedLayersFillTheBasisJob();
    void paretoClickChecksItsLayers();
    void weightsThatDoNotFitAreRefused();
    void trainingPlotDrawsSkipBoundary();
    void parameterFilesFillTheirDialogs();
};

namespace {
bool waitForModel(MainWindow& w)
{
    return w.modelReady() || QSignalSpy(&w, &MainWindow::modelLoaded).wait(60000);
}
} // namespace

void TestUiMainWindow::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLabTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_ui_main_window"));
    QSettings().clear();
}

void TestUiMainWindow::layerTableShowsDefaultModel()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(waitForModel(window));
    ModelSpec spec = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    spec.width = 0.25;
    spec.inChannels = 1;
    spec.inputSize = 28;
    const ModelInfo info = describeModel(spec);
    QCOMPARE(window.modelPanel()->modelSpec().name, QStringLiteral("cifar_resnet18"));
    QCOMPARE(window.modelPanel()->dataSpec().name, QStringLiteral("fashion-mnist"));
    QCOMPARE(window.layerModel()->rowCount(), int(info.layers.size()));
    QCOMPARE(window.layerModel()->data(window.layerModel()->index(7, LayerTableModel::Name)).toString(),
             QStringLiteral("layer2.0.downsample.0"));
    // The cost model's predicted speed-up is filled in for every convolution.
    QVERIFY(window.layerModel()->data(window.layerModel()->index(0, LayerTableModel::Speedup)).toString().endsWith(QStringLiteral("×")));
    QVERIFY(QDir(dir.filePath(QStringLiteral("runs"))).exists()); // the workspace is created on first start

    // Changing the architecture rebuilds the table in the background.
    ModelSpec lenet = defaultModelSpec(QStringLiteral("lenet5"));
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.modelPanel()->setModelSpec(lenet);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(window.layerModel()->rowCount(), int(describeModel(lenet).layers.size()));
}

void TestUiMainWindow::checkedLayersFillTheBasisJob()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(waitForModel(window));
    window.layerModel()->setCheckedLayers({1, 2, 3, 4, 5});
    {
        auto dialog = window.createBasisTrainDialog();
        const basis::BasisTrainParams p = dialog->params();
        QCOMPARE(p.layers, QStringLiteral("1-5"));
        QCOMPARE(p.train.model.name, QStringLiteral("cifar_resnet18"));
        QCOMPARE(p.train.model.width, 0.25);
        QCOMPARE(p.train.data.name, QStringLiteral("fashion-mnist"));
        QVERIFY(p.skipEpochs >= 1 && p.skipEpochs <= p.train.epochs);
        QCOMPARE(dialog->validate(), QString());
    }
    // Checking the classifier (a Linear layer) makes the dialog refuse to start, naming the layer.
    window.layerModel()->setCheckedLayers({16, 21});
    {
        auto dialog = window.createBasisTrainDialog();
        QCOMPARE(dialog->params().layers, QStringLiteral("16,21"));
        const QString problem = dialog->validate();
        QVERIFY2(problem.contains(QStringLiteral("fc")) && problem.contains(QStringLiteral("not a convolution")), qPrintable(problem));
        dialog->accept();
        QCOMPARE(dialog->result(), int(QDialog::Rejected)); // Start did not close it
    }
    window.layerModel()->setCheckedLayers({});
    {
        auto dialog = window.createBasisTrainDialog();
        QVERIFY(!dialog->validate().isEmpty());
    }
}

void TestUiMainWindow::paretoClickChecksItsLayers()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    window.resize(1300, 850);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(waitForModel(window));
    window.tabs()->setCurrentWidget(window.paretoPlot());

    // Points as a sweep of layers 4, 5, 16 would give them: both fronts marked on some.
    QVector<ParetoPoint> points;
    points.push_back({{}, 0.0, 100.0, 100.0, true, true, false});
    points.push_back({{4}, 0.6, 91.0, 97.0, true, false, true});
    points.push_back({{5}, 1.9, 93.0, 96.0, false, false, true});
    points.push_back({{16}, 0.4, 88.0, 80.0, true, true, true});
    points.push_back({{4, 16}, 1.0, 79.0, 77.0, true, true, false});
    points.push_back({{4, 5, 16}, 2.9, 72.0, 73.0, true, true, false});
    ParetoPlot* pareto = window.paretoPlot();
    pareto->setPoints(points);
    pareto->plot()->replot();

    QSignalSpy clicked(pareto, &ParetoPlot::pointClicked);
    for (int i : {4, 2, 5}) {
        const QPoint pixel = pareto->pixelOf(i).toPoint();
        QVERIFY(pareto->plot()->rect().contains(pixel));
        QTest::mouseClick(pareto->plot(), Qt::LeftButton, {}, pixel);
        QCOMPARE(pareto->selectedPoint(), i);
        QCOMPARE(window.layerModel()->checkedLayers(), points[i].layers);
    }
    QCOMPARE(clicked.size(), 3);
    // A click on empty canvas changes nothing.
    QTest::mouseClick(pareto->plot(), Qt::LeftButton, {}, pareto->plot()->rect().topLeft() + QPoint(3, 3));
    QCOMPARE(clicked.size(), 3);
    QCOMPARE(window.layerModel()->checkedLayers(), points[5].layers);

    // With the size axis the other front is drawn and the same click logic applies there.
    pareto->setXAxis(ParetoPlot::XAxis::Size);
    pareto->plot()->replot();
    QTest::mouseClick(pareto->plot(), Qt::LeftButton, {}, pareto->pixelOf(1).toPoint());
    QCOMPARE(window.layerModel()->checkedLayers(), QVector<int>({4}));

    // Sampling keeps the whole front and thins the rest.
    pareto->setMaxDrawn(4);
    QCOMPARE(pareto->drawnPoints().size(), 4);
    for (int i = 0; i < points.size(); ++i)
        if (points[i].onSizeFront)
            QVERIFY(pareto->drawnPoints().contains(i));

    const QString png = dir.filePath(QStringLiteral("pareto.png")), pdf = dir.filePath(QStringLiteral("pareto.pdf"));
    QVERIFY(pareto->exportTo(png));
    QVERIFY(pareto->exportTo(pdf));
    QVERIFY(QFileInfo(png).size() > 1000);
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.read(5) == "%PDF-");
}

void TestUiMainWindow::weightsThatDoNotFitAreRefused()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(waitForModel(window));
    const QString bogus = dir.filePath(QStringLiteral("not-weights.pth"));
    QFile f(bogus);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a weights file");
    f.close();
    QSignalSpy checked(&window, &MainWindow::weightsChecked);
    window.openWeights(bogus);
    QVERIFY(checked.wait(30000));
    QCOMPARE(checked.first().at(1).toBool(), false);
    QVERIFY(window.modelPanel()->weightsFile().isEmpty());
    QVERIFY(window.baseTrainParams().initWeights.isEmpty());
}

void TestUiMainWindow::trainingPlotDrawsSkipBoundary()
{
    TrainingPlot plot;
    RunCurve run;
    run.dir = QStringLiteral("/tmp/run-a");
    run.label = QStringLiteral("basis-train a");
    for (int e = 1; e <= 5; ++e) {
        EpochMetrics m;
        m.epoch = e;
        m.phase = e <= 3 ? QStringLiteral("basis") : QStringLiteral("full");
        m.testTop1 = 0.5 + 0.05 * e;
        m.trainLoss = 1.0 / e;
        run.epochs.push_back(m);
    }
    QCOMPARE(run.skipBoundary(), 3);
    plot.setRun(run);
    QCOMPARE(plot.drawnPoints(run.dir), 5);
    QCOMPARE(plot.drawnSkipLine(run.dir), 3);
    RunCurve base;
    base.dir = QStringLiteral("/tmp/run-base");
    base.label = QStringLiteral("train base");
    base.epochs = run.epochs;
    for (EpochMetrics& m : base.epochs)
        m.phase = QStringLiteral("train");
    plot.setRun(base, false);
    QCOMPARE(plot.drawnPoints(base.dir), 0);
    plot.setBaseline(base.dir); // the baseline is drawn even when not ticked
    QCOMPARE(plot.drawnPoints(base.dir), 5);
    QCOMPARE(plot.drawnSkipLine(base.dir), 0);
    plot.setShownRuns({});
    QCOMPARE(plot.drawnPoints(run.dir), 0);
}

namespace {
/// Opens `file` (resources/examples/) in `window` and returns the dialog's parameters as `Dialog::params()`
/// gives them, rejecting the dialog; `ok` false when no dialog of that type opened.
template <typename Dialog, typename Params>
Params dialogParams(MainWindow& window, const QString& file, bool* ok)
{
    Params params{};
    *ok = false;
    auto connection = QObject::connect(&window, &MainWindow::parameterDialogOpened, &window, [&](JobDialog* dialog) {
        if (auto* d = qobject_cast<Dialog*>(dialog)) {
            params = d->params();
            *ok = true;
        }
        QTimer::singleShot(0, dialog, &QDialog::reject);
    });
    QSignalSpy opened(&window, &MainWindow::parameterDialogOpened);
    window.openParameterFile(QStringLiteral(RANKLAB_SOURCE_DIR "/resources/examples/") + file);
    if (opened.isEmpty())
        opened.wait(60000); // the model panel builds another model first
    QObject::disconnect(connection);
    return params;
}
} // namespace

// The README walk-throughs' parameter files open in the GUI as in the CLI: the model panel takes their model
// and data, the job dialog of their command shows their options, including the commands without a hand-made dialog.
void TestUiMainWindow::parameterFilesFillTheirDialogs()
{
    QTemporaryDir dir;
    MainWindow window(dir.path());
    QVERIFY(waitForModel(window));
    bool ok = false;

    const search::SweepParams sweep = dialogParams<SweepDialog, search::SweepParams>(window, QStringLiteral("a1-sweep.json"), &ok);
    QVERIFY(ok);
    QCOMPARE(sweep.layers, QStringLiteral("11-20"));
    QCOMPARE(sweep.train.epochs, 2);
    QCOMPARE(sweep.skipEpochs, 1);
    QCOMPARE(sweep.train.lr, 0.05);
    QCOMPARE(sweep.train.seed, quint64(1));
    QCOMPARE(sweep.basis.size, 0.5);
    QCOMPARE(sweep.basis.form, basis::BasisForm::Pair);
    QCOMPARE(sweep.basis.init, basis::BasisInit::Random);
    QCOMPARE(sweep.train.model.name, QStringLiteral("cifar_resnet18"));
    QCOMPARE(sweep.train.model.width, 0.25);
    QCOMPARE(sweep.train.model.inChannels, 1); // the input follows Fashion-MNIST, as in the CLI
    QCOMPARE(sweep.train.model.inputSize, 28);
    QCOMPARE(sweep.train.data.subset, 6000);
    QCOMPARE(sweep.train.data.testSubset, 2000);

    // Step 4 names no layers: the dialog takes the checked ones (a click on the Pareto front checks them).
    window.layerModel()->setCheckedLayers({2, 3, 7});
    const basis::BasisTrainParams skip = dialogParams<BasisTrainDialog, basis::BasisTrainParams>(window, QStringLiteral("a4-skip.json"), &ok);
    QVERIFY(ok);
    QCOMPARE(skip.layers, window.layerModel()->checkedSelectionText());
    QCOMPARE(skip.skipEpochs, 2);
    QCOMPARE(skip.train.epochs, 6);
    QCOMPARE(skip.train.data.subset, 10000);
    QCOMPARE(skip.train.data.testSubset, 0);

    const TrainParams teacher = dialogParams<TrainDialog, TrainParams>(window, QStringLiteral("b1-teacher.json"), &ok);
    QVERIFY(ok);
    QCOMPARE(teacher.model.name, QStringLiteral("lenet300"));
    QCOMPARE(teacher.epochs, 10);
    QCOMPARE(teacher.data.subset, 0);

    const ron::SpectrumParams spectrum = dialogParams<SpectrumDialog, ron::SpectrumParams>(window, QStringLiteral("b2-spectrum.json"), &ok);
    QVERIFY(ok);
    QCOMPARE(spectrum.layers, QStringLiteral("1-2"));
    QCOMPARE(spectrum.samples, 4096);
    QCOMPARE(spectrum.method, ron::SketchMethod::Gram);

    const ron::RonParams ron = dialogParams<RonDialog, ron::RonParams>(window, QStringLiteral("b3-ron.json"), &ok);
    QVERIFY(ok);
    QCOMPARE(ron.layers, QStringLiteral("1-2"));
    QCOMPARE(ron::rankRuleText(ron.rank), QStringLiteral("factor:12"));
    QCOMPARE(ron.rowsRatio, 1.5);
    QCOMPARE(ron.samples, 8192);
    QCOMPARE(ron.finetune.epochs, 10);
    QCOMPARE(ron.finetune.lr, 0.02);
    QCOMPARE(ron.model.name, QStringLiteral("lenet300"));

    // The Pareto step opens the pareto kind's schema form, filled from the file (every command runs here).
    bool paretoOk = false;
    auto connection = QObject::connect(&window, &MainWindow::parameterDialogOpened, &window, [&](JobDialog* dialog) {
        if (auto* form = qobject_cast<KindDialog*>(dialog)) {
            const ranklab::Params p = form->params();
            paretoOk = form->kind().id == QLatin1String("pareto") && p.value(QStringLiteral("sweep")) == QLatin1String("runs/a1-sweep")
                && p.value(QStringLiteral("objective")) == QLatin1String("size") && p.value(QStringLiteral("max-drop")) == QLatin1String("0.005");
        }
        QTimer::singleShot(0, dialog, &QDialog::reject);
    });
    QSignalSpy opened(&window, &MainWindow::parameterDialogOpened);
    window.openParameterFile(QStringLiteral(RANKLAB_SOURCE_DIR "/resources/examples/a2-pareto.json"));
    if (opened.isEmpty())
        QVERIFY(opened.wait(60000));
    QObject::disconnect(connection);
    QVERIFY(paretoOk);
}

QTEST_MAIN(TestUiMainWindow)
#include "test_ui_main_window.moc"
