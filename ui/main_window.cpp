#include "ui/main_window.h"

#include <algorithm>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFutureWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>
#include <QJsonObject>

#include <memory>

#include "core/basis/cost_model.h"
#include "core/error.h"
#include "core/jobs/common_params.h"
#include "core/jobs/kinds/typed_options.h"
#include "core/jobs/weights_probe.h"
#include "core/jobs/workspace.h"
#include "ui/basis_train_dialog.h"
#include "ui/jobs_panel.h"
#include "ui/kind_dialog.h"
#include "ui/layer_panel.h"
#include "ui/layer_table_model.h"
#include "ui/model_panel.h"
#include "ui/param_options.h"
#include "ui/pareto_plot.h"
#include "ui/ron_report_view.h"
#include "ui/run_views.h"
#include "ui/sensitivity_plot.h"
#include "ui/ron_dialog.h"
#include "ui/spectra_plot.h"
#include "ui/spectrum_dialog.h"
#include "ui/run_on_box.h"
#include "ui/sweep_dialog.h"
#include "ui/train_dialog.h"
#include "ui/training_plot.h"
#include "ui/workspace_loader.h"

namespace ranklab::ui {

namespace {
constexpr int kMaxRecent = 8;

/// The layer registry and the pair-form speed-up the cost model predicts (size 0.5, β = 0), built off
/// the UI thread.
struct ModelLoad {
    ModelInfo info;
    QHash<int, double> speedups;
    QString error;
};

ModelLoad loadModel(const ModelSpec& spec)
{
    ModelLoad out;
    try {
        out.info = describeModel(spec);
        for (const basis::LayerCost& c : basis::basisCostModel(spec, 0.5, 0.0, false))
            out.speedups.insert(c.index, c.predictedSpeedup);
    } catch (const Error& e) {
        out.error = QString::fromUtf8(e.what());
    }
    return out;
}

} // namespace

MainWindow::MainWindow(const QString& workspaceRoot, QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("RankLab"));
    setAcceptDrops(true);
    setDockOptions(AnimatedDocks | AllowTabbedDocks);

    layerModel_ = new LayerTableModel(this);
    layerPanel_ = new LayerPanel(layerModel_, this);
    modelPanel_ = new ModelPanel(this);
    jobsPanel_ = new JobsPanel(&runner_, this);
    trainingPlot_ = new TrainingPlot(this);
    sensitivityPlot_ = new SensitivityPlot(this);
    paretoPlot_ = new ParetoPlot(this);
    spectraPlot_ = new SpectraPlot(this);
    ronReport_ = new RonReportView(this);
    reports_ = new QPlainTextEdit(this);
    reports_->setObjectName(QStringLiteral("reports"));
    reports_->setReadOnly(true);
    reports_->setLineWrapMode(QPlainTextEdit::NoWrap);
    reports_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    log_ = new QPlainTextEdit(this);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(5000);

    runViews_ = new RunViews({trainingPlot_, sensitivityPlot_, paretoPlot_, spectraPlot_, ronReport_, layerModel_}, this);
    connect(runViews_, &RunViews::note, this, &MainWindow::appendLog);
    connect(runViews_, &RunViews::status, this, [this](const QString& message) { statusBar()->showMessage(message); });

    tabs_ = new QTabWidget(this);
    tabs_->addTab(trainingPlot_, tr("&Training"));
    tabs_->addTab(sensitivityPlot_, tr("&Sensitivity"));
    tabs_->addTab(paretoPlot_, tr("&Pareto"));
    tabs_->addTab(spectraPlot_, tr("Spec&tra"));
    tabs_->addTab(ronReport_, tr("&RON report"));
    tabs_->addTab(reports_, tr("Rep&orts"));
    setCentralWidget(tabs_);

    auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    QDockWidget* modelDock = dock(tr("Model"), QStringLiteral("model"), modelPanel_, Qt::LeftDockWidgetArea);
    QDockWidget* layerDock = dock(tr("Layers"), QStringLiteral("layers"), layerPanel_, Qt::LeftDockWidgetArea);
    QDockWidget* jobsDock = dock(tr("Jobs"), QStringLiteral("jobs"), jobsPanel_, Qt::BottomDockWidgetArea);
    QDockWidget* logDock = dock(tr("Log"), QStringLiteral("log"), log_, Qt::BottomDockWidgetArea);
    splitDockWidget(modelDock, layerDock, Qt::Vertical);
    splitDockWidget(jobsDock, logDock, Qt::Horizontal);
    resizeDocks({modelDock, layerDock}, {200, 600}, Qt::Vertical);
    resizeDocks({modelDock}, {560}, Qt::Horizontal);
    resizeDocks({jobsDock}, {190}, Qt::Vertical);

    statusWorkspace_ = new QLabel(this);
    statusJobs_ = new QLabel(this);
    statusBar()->addPermanentWidget(statusJobs_);
    statusBar()->addPermanentWidget(statusWorkspace_);

    buildMenus();
    for (QAction* a : {modelDock->toggleViewAction(), layerDock->toggleViewAction(), jobsDock->toggleViewAction(),
                       logDock->toggleViewAction()})
        viewMenu_->addAction(a);

    connect(modelPanel_, &ModelPanel::modelChanged, this, &MainWindow::reloadModel);
    connect(modelPanel_, &ModelPanel::openWeightsRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open weights"), QString(),
                                                          tr("Weights (*.rlk *.pth *.pt *.bin *.ckpt);;All files (*)"));
        if (!path.isEmpty())
            openWeights(path);
    });
    connect(paretoPlot_, &ParetoPlot::pointClicked, this, &MainWindow::onParetoPoint);
    connect(paretoPlot_, &ParetoPlot::trainRequested, this, [this](const QVector<int>& layers) {
        layerModel_->setCheckedLayers(layers);
        openBasisTrainDialog();
    });
    connect(jobsPanel_, &JobsPanel::rerunRequested, this, &MainWindow::rerun);
    connect(jobsPanel_, &JobsPanel::resubmitRequested, this, [this](Job* job) {
        // The same job in the same folder: it resumes, and only the units that are not done, queued or running go
        // to the cluster again (with the options it was given).
        appendLog(tr("resubmitting the unfinished units of %1").arg(job->runDir()));
        launch(new Job(job->jobKind(), job->params(), job->runDir()));
    });
    connect(&runner_, &JobRunner::jobEnded, this, &MainWindow::onJobEnded);
    connect(&runner_, &JobRunner::jobStarted, this, [this] { updateStatus(); });
    connect(layerModel_, &LayerTableModel::checkedLayersChanged, this, [this] {
        const QString sel = layerModel_->checkedSelectionText();
        statusBar()->showMessage(sel.isEmpty() ? tr("No layer checked") : tr("Checked layers: %1").arg(sel), 4000);
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(1440, 900);
    modelPanel_->setDevice(settings.value(QStringLiteral("model/device"), QStringLiteral("cpu")).toString());
    const QString lastModel = settings.value(QStringLiteral("model/name")).toString();
    if (zooModelNames().contains(lastModel)) {
        ModelSpec spec = modelPanel_->modelSpec();
        spec.name = lastModel;
        spec.width = settings.value(QStringLiteral("model/width"), spec.width).toDouble();
        spec.numClasses = settings.value(QStringLiteral("model/classes"), spec.numClasses).toInt();
        spec.inChannels = settings.value(QStringLiteral("model/channels"), spec.inChannels).toInt();
        spec.inputSize = settings.value(QStringLiteral("model/input_size"), spec.inputSize).toInt();
        modelPanel_->setModelSpec(spec); // emits modelChanged → reloadModel
    } else {
        reloadModel();
    }
    openWorkspace(workspaceRoot);
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open weights…"), QKeySequence::Open, this, [this] { Q_EMIT modelPanel_->openWeightsRequested(); });
    recentMenu_ = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(tr("Open &parameter file…"), QKeySequence(tr("Ctrl+Shift+F")), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open parameter file"), QString(),
                                                          tr("RankLab parameter files (*.json);;All files (*)"));
        if (!path.isEmpty())
            openParameterFile(path);
    });
    file->addSeparator();
    file->addAction(tr("Open &workspace…"), QKeySequence(tr("Ctrl+Shift+O")), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open workspace"), workspaceRoot_);
        if (!dir.isEmpty())
            openWorkspace(dir);
    });
    file->addAction(tr("Re&load workspace"), QKeySequence::Refresh, this, [this] { openWorkspace(workspaceRoot_); });
    file->addSeparator();
    QAction* exportModel = file->addAction(tr("&Export model…"), QKeySequence(tr("Ctrl+E")), this, [this] { openExportDialog(); });
    exportModel->setObjectName(QStringLiteral("file-export"));
    exportModel->setToolTip(tr("Write the open weights as a TorchScript module that PyTorch runs as it is (torch.jit.load), "
                               "or as a state dict"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    // The Jobs menu is the registry: one entry per job kind, in submenus by its menu group. The kinds with a
    // hand-made dialog (train, basis-train, sweep, spectrum, ron) open it; every other kind its schema form.
    QMenu* jobs = menuBar()->addMenu(tr("&Jobs"));
    jobs->setObjectName(QStringLiteral("jobs-menu"));
    const QHash<QString, QKeySequence> shortcuts{{QStringLiteral("basis-train"), QKeySequence(tr("Ctrl+B"))},
                                                 {QStringLiteral("train"), QKeySequence(tr("Ctrl+T"))},
                                                 {QStringLiteral("sweep"), QKeySequence(tr("Ctrl+Shift+S"))},
                                                 {QStringLiteral("spectrum"), QKeySequence(tr("Ctrl+Shift+P"))},
                                                 {QStringLiteral("ron"), QKeySequence(tr("Ctrl+Shift+R"))}};
    QHash<QString, QMenu*> groups;
    for (const JobKind* kind : JobKinds::all()) {
        QMenu*& sub = groups[kind->menu];
        if (!sub)
            sub = jobs->addMenu(kind->menu);
        QAction* action = sub->addAction(kind->title + QStringLiteral("…"), this, [this, kind] { openJobDialog(kind->id); });
        action->setObjectName(QStringLiteral("job-") + kind->id);
        action->setToolTip(kind->summary);
        if (shortcuts.contains(kind->id))
            action->setShortcut(shortcuts.value(kind->id));
    }
    jobs->addSeparator();
    jobs->addAction(tr("Re-run a run &folder…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Run folder to run again"),
                                                              QDir(workspaceRoot_).filePath(QStringLiteral("runs")));
        if (!dir.isEmpty())
            rerunFolder(dir);
    });
    jobs->addSeparator();
    jobs->addAction(tr("&Cancel selected job"), QKeySequence(tr("Ctrl+.")), this, [this] {
        if (Job* job = jobsPanel_->selectedJob())
            runner_.cancel(job);
    });
    jobs->addAction(tr("&Re-run selected job"), QKeySequence(tr("Ctrl+R")), this, [this] {
        if (Job* job = jobsPanel_->selectedJob())
            rerun(job);
    });

    viewMenu_ = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < tabs_->count(); ++i) {
        QWidget* page = tabs_->widget(i);
        viewMenu_->addAction(tabs_->tabText(i).remove(QLatin1Char('&')), QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                             [this, page] { tabs_->setCurrentWidget(page); });
    }
    viewMenu_->addSeparator();

    QMenu* layers = menuBar()->addMenu(tr("&Layers"));
    layers->addAction(tr("Check &all"), QKeySequence(tr("Ctrl+Shift+A")), this,
                      [this] { layerModel_->setRangeChecked(0, 1 << 30, true); });
    layers->addAction(tr("Check &none"), QKeySequence(tr("Ctrl+Shift+N")), this, [this] { layerModel_->setCheckedLayers({}); });
    layers->addAction(tr("Preset &light (1–5)"), QKeySequence(tr("Ctrl+L")), this,
                      [this] { layerModel_->setCheckedLayers({1, 2, 3, 4, 5}); });
    layers->addAction(tr("Preset &heavy (16–20)"), QKeySequence(tr("Ctrl+H")), this,
                      [this] { layerModel_->setCheckedLayers({16, 17, 18, 19, 20}); });
    layers->addAction(tr("Check &highlighted rows"), QKeySequence(tr("Ctrl+Space")), this,
                      [this] { layerPanel_->checkHighlighted(true); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About RankLab"), this, [this] {
        QMessageBox::about(this, tr("About RankLab"),
                           tr("<b>RankLab %1</b><br>A laboratory for low-rank compression of CNNs: basis convolutions "
                              "with skip training, sensitivity sweeps and Pareto fronts, Reduced-Order Networks.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::openWorkspace(const QString& root)
{
    workspaceRoot_ = QDir(root).absolutePath();
    if (!QDir().mkpath(QDir(workspaceRoot_).filePath(QStringLiteral("runs")))) {
        showError(tr("Cannot create the workspace folder %1.").arg(workspaceRoot_));
        return;
    }
    QSettings().setValue(QStringLiteral("workspace"), workspaceRoot_);
    const int runs = runViews_->showWorkspace(workspaceRoot_, modelPanel_->modelSpec().name);
    appendLog(tr("workspace %1: %2 runs").arg(workspaceRoot_).arg(runs));
    updateStatus();
}

void MainWindow::reloadModel()
{
    const ModelSpec spec = modelPanel_->modelSpec();
    const int generation = ++modelGeneration_;
    modelReady_ = false;
    statusBar()->showMessage(tr("Building %1…").arg(spec.name));
    auto* watcher = new QFutureWatcher<ModelLoad>(this);
    connect(watcher, &QFutureWatcher<ModelLoad>::finished, this, [this, watcher, generation, spec] {
        watcher->deleteLater();
        if (generation != modelGeneration_)
            return; // a newer request is on its way
        const ModelLoad load = watcher->result();
        if (!load.error.isEmpty()) {
            appendLog(load.error);
            statusBar()->showMessage(load.error);
            pendingParams_.reset();
            return;
        }
        const QVector<int> keep = layerModel_->modelInfo().spec.name == spec.name ? layerModel_->checkedLayers() : QVector<int>{};
        layerModel_->setModelInfo(load.info);
        layerModel_->setSpeedups(load.speedups);
        layerModel_->setCheckedLayers(keep);
        runViews_->applyLayerFigures();
        layerPanel_->view()->resizeColumnsToContents();
        modelReady_ = true;
        QSettings s;
        s.setValue(QStringLiteral("model/name"), spec.name);
        s.setValue(QStringLiteral("model/width"), spec.width);
        s.setValue(QStringLiteral("model/classes"), spec.numClasses);
        s.setValue(QStringLiteral("model/channels"), spec.inChannels);
        s.setValue(QStringLiteral("model/input_size"), spec.inputSize);
        statusBar()->showMessage(tr("%1: %2 layers, %3 parameters, %4 MFLOPs per image")
                                     .arg(spec.name)
                                     .arg(load.info.layers.size())
                                     .arg(QLocale().toString(load.info.totalParams))
                                     .arg(load.info.totalFlops / 1e6, 0, 'f', 1));
        Q_EMIT modelLoaded();
        openPendingParameterDialog();
    });
    watcher->setFuture(QtConcurrent::run(loadModel, spec));
}

void MainWindow::openWeights(const QString& path)
{
    const ModelSpec spec = modelPanel_->modelSpec();
    appendLog(tr("checking %1 against %2…").arg(path, spec.name));
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path] {
        watcher->deleteLater();
        const QString result = watcher->result();
        if (result.startsWith(QLatin1Char('!'))) {
            modelPanel_->setWeightsFile({}, {});
            showError(result.mid(1));
            Q_EMIT weightsChecked(path, false);
            pendingParams_.reset(); // a parameter file whose weights do not fit opens no dialog
            pendingWeights_ = false;
            return;
        }
        modelPanel_->setWeightsFile(path, tr("%1, fits the model").arg(result));
        addRecentFile(path);
        appendLog(tr("weights %1 (%2) will start every job").arg(path, result));
        Q_EMIT weightsChecked(path, true);
        pendingWeights_ = false;
        openPendingParameterDialog();
    });
    watcher->setFuture(QtConcurrent::run([spec, path]() -> QString {
        try {
            return probeWeights(spec, path);
        } catch (const Error& e) {
            return QLatin1Char('!') + QString::fromUtf8(e.what());
        }
    }));
}

TrainParams MainWindow::baseTrainParams() const
{
    TrainParams p;
    p.model = modelPanel_->modelSpec();
    p.data = modelPanel_->dataSpec();
    p.initWeights = modelPanel_->weightsFile();
    p.epochs = 4;
    p.lr = 0.05;
    p.threads = std::max(1, QThread::idealThreadCount() - 1);
    return p;
}

std::unique_ptr<BasisTrainDialog> MainWindow::createBasisTrainDialog()
{
    return std::make_unique<BasisTrainDialog>(baseTrainParams(), layerModel_->modelInfo(), layerModel_->checkedSelectionText(),
                                              this);
}

void MainWindow::openBasisTrainDialog()
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    std::unique_ptr<BasisTrainDialog> dialog = createBasisTrainDialog();
    if (dialog->exec() == QDialog::Accepted)
        launchFromDialog(dialog.get());
}

void MainWindow::openSweepDialog()
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    SweepDialog dialog(baseTrainParams(), layerModel_->modelInfo(), layerModel_->checkedSelectionText(), this);
    if (dialog.exec() == QDialog::Accepted)
        launchFromDialog(&dialog);
}

void MainWindow::openSpectrumDialog()
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    SpectrumDialog dialog(baseTrainParams(), layerModel_->modelInfo(), layerModel_->checkedSelectionText(), this);
    if (dialog.exec() == QDialog::Accepted)
        launchFromDialog(&dialog);
}

void MainWindow::openRonDialog()
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    RonDialog dialog(baseTrainParams(), layerModel_->modelInfo(), layerModel_->checkedLayers(), this);
    if (dialog.exec() == QDialog::Accepted)
        launchFromDialog(&dialog);
}

namespace {
/// The kinds with a hand-made dialog; every other kind opens its schema form (KindDialog).
bool hasOwnDialog(const QString& kind)
{
    static const QStringList kKinds{QStringLiteral("train"), QStringLiteral("basis-train"), QStringLiteral("sweep"),
                                    QStringLiteral("spectrum"), QStringLiteral("ron")};
    return kKinds.contains(kind);
}
} // namespace

void MainWindow::openParameterFile(const QString& path)
{
    ParamFile file;
    try {
        file = readParamFile(path);
    } catch (const Error& e) {
        showError(QString::fromUtf8(e.what()));
        return;
    }
    const JobKind* kind = JobKinds::find(file.command);
    if (!kind) {
        showError(tr("%1 is for '%2', which is not a RankLab command.").arg(path, file.command));
        return;
    }
    // As the CLI reads the file: data options it does not give take the CLI's defaults (not what the panel
    // showed before); the model stays the panel's only when the file names none.
    ModelSpec model = modelPanel_->modelSpec();
    DataSpec data;
    QStringList problems;
    applyModelOptions(file.options, &model, &data, &problems);
    if (!problems.isEmpty()) {
        showError(tr("%1: %2").arg(path, problems.first()));
        return;
    }
    appendLog(tr("parameter file %1: %2").arg(path, file.title.isEmpty() ? file.command : file.title));
    pendingParams_ = file;
    const QString weights = kind->weightsParam.isEmpty() ? QString() : file.options.value(kind->weightsParam);
    pendingWeights_ = !weights.isEmpty() && QFileInfo::exists(weights);
    if (!weights.isEmpty() && !pendingWeights_)
        appendLog(tr("%1 names weights %2, which is not here; the dialog uses the weights in the model panel.").arg(path, weights));
    const ModelSpec current = modelPanel_->modelSpec();
    const bool sameModel = current.name == model.name && current.width == model.width && current.inChannels == model.inChannels
                           && current.inputSize == model.inputSize && current.numClasses == model.numClasses
                           && current.channels == model.channels;
    modelPanel_->setDataSpec(data);
    if (!sameModel)
        modelPanel_->setModelSpec(model); // rebuilds the layer table; modelLoaded follows
    if (pendingWeights_)
        openWeights(QFileInfo(weights).absoluteFilePath()); // weightsChecked follows
    openPendingParameterDialog();
}

void MainWindow::openPendingParameterDialog()
{
    if (!pendingParams_ || !modelReady_ || pendingWeights_)
        return; // called again from modelLoaded / weightsChecked
    const ParamFile file = *pendingParams_;
    pendingParams_.reset();
    QStringList unused;
    std::unique_ptr<JobDialog> dialog = createDialogFor(file, &unused);
    if (!dialog)
        return;
    if (!unused.isEmpty())
        appendLog(tr("%1: options the dialog does not show (the GUI chooses run folders and threads itself): --%2")
                      .arg(file.path, unused.join(QStringLiteral(", --"))));
    Q_EMIT parameterDialogOpened(dialog.get());
    if (dialog->exec() == QDialog::Accepted)
        launchFromDialog(dialog.get());
}

std::unique_ptr<JobDialog> MainWindow::createDialogFor(const ParamFile& file, QStringList* unused)
{
    const JobKind* kind = JobKinds::find(file.command);
    if (!kind) {
        showError(tr("%1 is for '%2', which is not a RankLab command.").arg(file.path, file.command));
        return nullptr;
    }
    if (!hasOwnDialog(kind->id)) {
        QMap<QString, QString> values = prefillValues();
        for (auto it = file.options.begin(); it != file.options.end(); ++it)
            values.insert(it.key(), it.value());
        try {
            auto dialog = std::make_unique<KindDialog>(*kind, prefilledParams(*kind, values), this);
            if (unused)
                unused->clear();
            return dialog;
        } catch (const Error& e) {
            showError(tr("%1: %2").arg(file.path, QString::fromUtf8(e.what())));
            return nullptr;
        }
    }
    std::unique_ptr<JobDialog> dialog;
    const TrainParams base = baseTrainParams();
    // No layers in the file (walk-through A, step 4): the checked ones, e.g. from a click on the front.
    const QString layers = file.options.value(QStringLiteral("layers"), layerModel_->checkedSelectionText());
    if (file.command == QLatin1String("train"))
        dialog = std::make_unique<TrainDialog>(base, this);
    else if (file.command == QLatin1String("basis-train"))
        dialog = std::make_unique<BasisTrainDialog>(base, layerModel_->modelInfo(), layers, this);
    else if (file.command == QLatin1String("sweep"))
        dialog = std::make_unique<SweepDialog>(base, layerModel_->modelInfo(), layers, this);
    else if (file.command == QLatin1String("spectrum"))
        dialog = std::make_unique<SpectrumDialog>(base, layerModel_->modelInfo(), layers, this);
    else // "ron": notRunHere() let no other command through
        dialog = std::make_unique<RonDialog>(base, layerModel_->modelInfo(), QVector<int>{}, this);
    QStringList problems;
    QStringList used = applyWidgetOptions(dialog.get(), file.options, &problems);
    if (dialog->runOn() && file.options.contains(QStringLiteral("executor"))) {
        // Where it runs: --executor and the cluster's options (their group in the schema).
        dialog->runOn()->load(prefilledParams(*kind, file.options));
        for (const ParamDecl& d : kind->schema.decls())
            if (d.group == QLatin1String("cluster"))
                used << d.name;
    }
    if (!problems.isEmpty()) {
        showError(tr("%1: %2").arg(file.path, problems.first()));
        return nullptr;
    }
    ModelSpec m;
    DataSpec d;
    used += applyModelOptions(file.options, &m, &d, nullptr);
    used << QStringLiteral("weights") << QStringLiteral("init-weights");
    if (unused) {
        unused->clear();
        for (auto it = file.options.begin(); it != file.options.end(); ++it)
            if (!used.contains(it.key()))
                *unused << it.key();
    }
    return dialog;
}

void MainWindow::launchFromDialog(JobDialog* dialog)
{
    // The hand-made dialogs give typed parameters; as options, with where the job runs ("Run on").
    Params options;
    if (auto* d = qobject_cast<TrainDialog*>(dialog))
        options = kinds::trainOptions(d->params());
    else if (auto* d = qobject_cast<BasisTrainDialog*>(dialog))
        options = kinds::basisTrainOptions(d->params());
    else if (auto* d = qobject_cast<SweepDialog*>(dialog))
        options = kinds::sweepOptions(d->params());
    else if (auto* d = qobject_cast<SpectrumDialog*>(dialog))
        options = kinds::spectrumOptions(d->params());
    else if (auto* d = qobject_cast<RonDialog*>(dialog))
        options = kinds::ronOptions(d->params());
    else if (auto* d = qobject_cast<KindDialog*>(dialog))
        return void(launchKind(d->kind(), d->params()));
    else
        return;
    // The typed parameters know no device: the model panel's device field gives --device.
    if (options.schema() && options.schema()->find(QStringLiteral("device")) && modelPanel_->device() != QLatin1String("cpu"))
        options.set(QStringLiteral("device"), modelPanel_->device());
    launchKind(*JobKinds::find(options.command()), dialog->withRunOn(options));
}

Job* MainWindow::launchSpectrum(const ron::SpectrumParams& params)
{
    return launchKind(*JobKinds::find(QStringLiteral("spectrum")), kinds::spectrumOptions(params));
}

Job* MainWindow::launchRon(const ron::RonParams& params)
{
    return launchKind(*JobKinds::find(QStringLiteral("ron")), kinds::ronOptions(params));
}

Job* MainWindow::launchSweep(const search::SweepParams& params)
{
    const Params options = kinds::sweepOptions(params);
    return launchKind(*JobKinds::find(options.command()), options);
}

Job* MainWindow::launchBasisTraining(const basis::BasisTrainParams& params)
{
    return launchKind(*JobKinds::find(QStringLiteral("basis-train")), kinds::basisTrainOptions(params));
}

Job* MainWindow::launchTraining(const TrainParams& params)
{
    return launchKind(*JobKinds::find(QStringLiteral("train")), kinds::trainOptions(params));
}

Job* MainWindow::launchKind(const JobKind& kind, const Params& params)
{
    if (kind.runFolderParam.isEmpty())
        return launch(new Job(kind, params, QString()));
    QString dir;
    try {
        dir = Workspace(workspaceRoot_).createRunDir(kind.id, params.value(QStringLiteral("model")).isEmpty()
                                                                  ? kind.id
                                                                  : params.value(QStringLiteral("model")));
    } catch (const Error& e) {
        showError(QString::fromUtf8(e.what()));
        return nullptr;
    }
    return launch(new Job(kind, params, dir));
}

QMap<QString, QString> MainWindow::prefillValues() const
{
    Params all(QStringLiteral("prefill"), &prefillSchema());
    const TrainParams base = baseTrainParams();
    setTrainParams(all, base);
    QMap<QString, QString> values = all.given();
    // The model panel's channels and size are the model's; a kind that takes them from the data leaves
    // them unset there, and the panel keeps them consistent with the data set.
    if (modelPanel_->device() != QLatin1String("cpu"))
        values.insert(QStringLiteral("device"), modelPanel_->device());
    const QString layers = layerModel_->checkedSelectionText();
    if (!layers.isEmpty())
        values.insert(QStringLiteral("layers"), layers);
    if (!base.initWeights.isEmpty()) {
        values.insert(QStringLiteral("weights"), base.initWeights);
        values.insert(QStringLiteral("init-weights"), base.initWeights);
    }
    return values;
}

const ParamSchema& MainWindow::prefillSchema()
{
    static const ParamSchema schema = [] {
        ParamSchema s;
        addModelParams(s, true);
        addDataParams(s);
        addTrainerParams(s);
        return s;
    }();
    return schema;
}

std::unique_ptr<KindDialog> MainWindow::createKindDialog(const QString& id)
{
    const JobKind* kind = JobKinds::find(id);
    if (!kind)
        return nullptr;
    // A kind that declares its own default for a shared option (prune's fine-tuning lr 0.01) keeps it: the
    // panel's short schedule only fills options whose default is the shared one.
    QMap<QString, QString> values = prefillValues();
    for (const ParamDecl& d : prefillSchema().decls())
        if (const ParamDecl* own = kind->schema.find(d.name); own && own->defaultValue != d.defaultValue)
            values.remove(d.name);
    return std::make_unique<KindDialog>(*kind, prefilledParams(*kind, values), this);
}

void MainWindow::openJobDialog(const QString& id)
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    if (id == QLatin1String("basis-train"))
        return openBasisTrainDialog();
    if (id == QLatin1String("sweep"))
        return openSweepDialog();
    if (id == QLatin1String("spectrum"))
        return openSpectrumDialog();
    if (id == QLatin1String("ron"))
        return openRonDialog();
    if (id == QLatin1String("train")) {
        TrainDialog dialog(baseTrainParams(), this);
        if (dialog.exec() == QDialog::Accepted)
            launchFromDialog(&dialog);
        return;
    }
    std::unique_ptr<KindDialog> dialog = createKindDialog(id);
    if (!dialog)
        return;
    Q_EMIT parameterDialogOpened(dialog.get());
    if (dialog->exec() == QDialog::Accepted)
        launchKind(dialog->kind(), dialog->params());
}

void MainWindow::openExportDialog()
{
    if (!modelReady_) {
        showError(tr("The model is still being built; try again in a moment."));
        return;
    }
    const QString weights = modelPanel_->weightsFile();
    if (weights.isEmpty()) {
        showError(tr("Open the weights to export first (File ▸ Open weights…): Export writes a trained model."));
        return;
    }
    std::unique_ptr<KindDialog> dialog = createKindDialog(QStringLiteral("export"));
    if (!dialog)
        return;
    // What RankLab makes (pruned, basis-conv, RON students) is a new architecture: TorchScript carries its code.
    const QFileInfo source(weights);
    dialog->setValue(QStringLiteral("format"), QStringLiteral("torchscript"));
    dialog->setValue(QStringLiteral("out"), source.absoluteDir().filePath(source.completeBaseName() + QStringLiteral(".pt")));
    dialog->setWindowTitle(tr("Export model"));
    Q_EMIT parameterDialogOpened(dialog.get());
    if (dialog->exec() == QDialog::Accepted)
        launchKind(dialog->kind(), dialog->params());
}

Job* MainWindow::rerunFolder(const QString& dir)
{
    try {
        // Any non-empty new folder makes readJob start afresh (no --resume); Job points it at the new folder.
        Params params = readJob(dir, QStringLiteral("-"));
        const JobKind* kind = JobKinds::find(params.command());
        appendLog(tr("re-running %1 from %2").arg(kind->id, dir));
        return launchKind(*kind, params);
    } catch (const Error& e) {
        showError(QString::fromUtf8(e.what()));
        return nullptr;
    }
}

Job* MainWindow::launch(Job* job)
{
    const QString dir = job->runDir();
    const QString kind = job->kind();
    if (isTrainingKind(kind)) {
        RunCurve curve;
        curve.dir = dir;
        curve.kind = kind;
        curve.label = runLabel(dir, kind);
        trainingPlot_->setRun(curve);
        tabs_->setCurrentWidget(trainingPlot_);
        connect(job, &Job::epochFinished, this, [this, dir](const EpochMetrics& m) { trainingPlot_->appendEpoch(dir, m); });
    } else if (isSweepKind(kind) && !dir.isEmpty()) {
        // A sweep trains many runs (workers in parallel): each epoch names its run folder, whose curve joins the
        // Training tab under the sweep as soon as it reports.
        connect(job, &Job::epochFinished, this,
                [this, dir, kind](const EpochMetrics& m) { runViews_->appendSweepEpoch(dir, kind, m); });
    }
    if (!dir.isEmpty()) {
        // Units in other processes (child processes, a cluster) report no epochs: the folder is the report, so each
        // time another unit finishes the run folder is re-read — a sweep's curves join the Training tab and its
        // drops the Sensitivity and Pareto tabs, a whole job's curve or result its own view.
        connect(job, &Job::unitsChanged, this, [this, dir, done = std::make_shared<int>(-1)](const QJsonObject& states) {
            const int now = states.value(QStringLiteral("counts")).toObject().value(QStringLiteral("done")).toInt();
            if (now == *done)
                return;
            *done = now;
            runViews_->refreshRun(workspaceRoot_, dir, false);
        });
    }
    connect(job, &Job::logLine, this, &MainWindow::appendLog);
    connect(job, &Job::failed, this, [this, job](const QString& message) {
        appendLog(tr("%1 %2 failed: %3").arg(job->kind(), job->title(), message));
        showError(message);
    });
    connect(job, &Job::cancelled, this, [this, job] {
        appendLog(tr("%1 %2 cancelled; %3 stays incomplete (no summary.json)")
                      .arg(job->kind(), job->title(), job->runDir()));
    });
    connect(job, &Job::finished, this, [this, job] {
        // The kind's own one-line result (what the CLI prints first): "test top-1 91.20 % …", "pruned 4 convs: …".
        const QString first = job->result().text.section(QLatin1Char('\n'), 0, 0).trimmed();
        appendLog(first.isEmpty() ? tr("%1 %2 finished").arg(job->kind(), job->title())
                                  : tr("%1 %2 finished: %3").arg(job->kind(), job->title(), first));
    });
    appendLog(tr("queued %1 %2 → %3").arg(kind, job->title(), dir));
    runner_.enqueue(job);
    jobsPanel_->selectJob(job);
    updateStatus();
    return job;
}

void MainWindow::rerun(Job* job)
{
    if (job->jobKind().runFolderParam.isEmpty()) {
        launch(job->rerun(QString()));
        return;
    }
    QString dir;
    try {
        dir = Workspace(workspaceRoot_).createRunDir(job->kind(), job->title());
    } catch (const Error& e) {
        showError(QString::fromUtf8(e.what()));
        return;
    }
    launch(job->rerun(dir));
}

void MainWindow::onJobEnded(Job* job)
{
    if (isTrainingKind(job->kind()))
        trainingPlot_->setCompleted(job->runDir(), job->state() == Job::State::Finished);
    if (job->state() == Job::State::Finished && !isTrainingKind(job->kind()) && !job->runDir().isEmpty())
        runViews_->refreshRun(workspaceRoot_, job->runDir());
    if (job->state() == Job::State::Finished && job->kind() == QLatin1String("cost"))
        runViews_->showCost(job->result().report);
    // Every kind's printed result (the CLI's text: tables, reports, figures) lands in the Reports tab;
    // the kinds without a plot of their own (prune, sanity-check, eval, cost, info, pareto, export) show it.
    if (job->state() == Job::State::Finished && !job->result().text.isEmpty()) {
        reports_->appendPlainText(tr("── %1 %2%3 ──").arg(job->jobKind().title, job->title(),
                                                          job->runDir().isEmpty() ? QString() : QStringLiteral(" (%1)").arg(job->runDir())));
        reports_->appendPlainText(job->result().text.trimmed());
        reports_->appendPlainText(QString());
        static const QStringList kPlotted{QStringLiteral("train"), QStringLiteral("basis-train"), QStringLiteral("sweep"),
                                          QStringLiteral("groups"), QStringLiteral("proxy-sweep"), QStringLiteral("spectrum"),
                                          QStringLiteral("ron")};
        if (!kPlotted.contains(job->kind()))
            tabs_->setCurrentWidget(reports_);
    }
    updateStatus();
}

void MainWindow::onParetoPoint(const ParetoPoint& point)
{
    layerModel_->setCheckedLayers(point.layers);
    statusBar()->showMessage(tr("Pareto point: layers %1 checked — accuracy drop %2 pp, time %3 %, size %4 %")
                                 .arg(layerModel_->checkedSelectionText())
                                 .arg(point.accDrop, 0, 'f', 2)
                                 .arg(point.time, 0, 'f', 1)
                                 .arg(point.size, 0, 'f', 1));
}

void MainWindow::addRecentFile(const QString& path)
{
    QSettings s;
    QStringList recent = s.value(QStringLiteral("recentWeights")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    s.setValue(QStringLiteral("recentWeights"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    recentMenu_->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentWeights")).toStringList();
    for (const QString& path : recent)
        recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openWeights(path); })->setToolTip(path);
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::appendLog(const QString& line)
{
    log_->appendPlainText(QStringLiteral("%1  %2").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), line));
}

void MainWindow::showError(const QString& sentence)
{
    statusBar()->showMessage(sentence, 10000);
    auto* box = new QMessageBox(QMessageBox::Critical, tr("RankLab"), sentence, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open(); // window-modal, never blocks the event loop
}

void MainWindow::updateStatus()
{
    int running = 0, queued = 0;
    for (Job* j : runner_.jobs()) {
        running += j->state() == Job::State::Running;
        queued += j->state() == Job::State::Queued;
    }
    statusJobs_->setText(tr("%1 running, %2 queued").arg(running).arg(queued));
    statusWorkspace_->setText(tr("Workspace: %1").arg(workspaceRoot_));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("model/device"), modelPanel_->device());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString path = event->mimeData()->urls().first().toLocalFile();
    if (QFileInfo(path).isDir())
        openWorkspace(path);
    else
        openWeights(path);
    event->acceptProposedAction();
}

} // namespace ranklab::ui
