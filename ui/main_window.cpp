#include "ui/main_window.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "core/error.h"
#include "core/jobs/workspace.h"

namespace ranklab::ui {

namespace {
QString shapeText(const QVector<qint64>& shape)
{
    QStringList parts;
    for (qint64 x : shape)
        parts << QString::number(x);
    return parts.join(QStringLiteral("×"));
}
} // namespace

MainWindow::MainWindow(TrainParams defaults, QString workspaceRoot, QWidget* parent)
    : QMainWindow(parent), defaults_(std::move(defaults)), workspaceRoot_(std::move(workspaceRoot))
{
    setWindowTitle(QStringLiteral("RankLab"));
    layers_ = new QTableWidget(this);
    layers_->setColumnCount(7);
    layers_->setHorizontalHeaderLabels({tr("#"), tr("Layer"), tr("Type"), tr("Weight"), tr("Output"), tr("Params"), tr("FLOPs")});
    layers_->verticalHeader()->hide();
    layers_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layers_->setSelectionBehavior(QAbstractItemView::SelectRows);

    plot_ = new QCustomPlot(this);
    plot_->addGraph();
    plot_->graph(0)->setName(tr("test top-1 (%)"));
    plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    plot_->graph(1)->setName(tr("train loss"));
    plot_->graph(1)->setPen(QPen(Qt::red));
    plot_->xAxis->setLabel(tr("epoch"));
    plot_->yAxis->setLabel(tr("test top-1 (%)"));
    plot_->yAxis2->setLabel(tr("train loss"));
    plot_->yAxis2->setVisible(true);
    plot_->legend->setVisible(true);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    log_ = new QPlainTextEdit(this);
    log_->setReadOnly(true);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    eta_ = new QLabel(this);
    trainButton_ = new QPushButton(tr("&Train"), this);
    cancelButton_ = new QPushButton(tr("&Cancel"), this);
    cancelButton_->setEnabled(false);

    auto* controls = new QHBoxLayout;
    controls->addWidget(trainButton_);
    controls->addWidget(cancelButton_);
    controls->addWidget(progress_, 1);
    controls->addWidget(eta_);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(plot_);
    right->addWidget(log_);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(layers_);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->addLayout(controls);
    layout->addWidget(split, 1);
    setCentralWidget(central);
    resize(1200, 760);

    connect(trainButton_, &QPushButton::clicked, this, &MainWindow::startTraining);
    connect(cancelButton_, &QPushButton::clicked, this, [this] {
        if (current_)
            runner_.cancel(current_);
    });

    ModelSpec spec = defaults_.model;
    if (spec.inChannels <= 0)
        spec.inChannels = 1;
    if (spec.inputSize <= 0)
        spec.inputSize = 28;
    try {
        showModel(describeModel(spec));
    } catch (const Error& e) {
        appendLog(QString::fromUtf8(e.what()));
    }
    statusBar()->showMessage(tr("Workspace: %1").arg(workspaceRoot_));
}

MainWindow::~MainWindow() = default;

void MainWindow::showModel(const ModelInfo& info)
{
    layers_->setRowCount(int(info.layers.size()));
    for (int r = 0; r < info.layers.size(); ++r) {
        const LayerInfo& l = info.layers[r];
        const QStringList cells = {QString::number(l.index), l.name, l.type, shapeText(l.weightShape), shapeText(l.outShape),
                                   QLocale().toString(l.params), QLocale().toString(l.flops)};
        for (int c = 0; c < cells.size(); ++c)
            layers_->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    layers_->resizeColumnsToContents();
    appendLog(tr("%1: %2 parameters, %3 FLOPs per image").arg(info.spec.name).arg(info.totalParams).arg(info.totalFlops));
}

void MainWindow::startTraining()
{
    if (current_)
        return;
    QString runDir;
    try {
        runDir = Workspace(workspaceRoot_).createRunDir(QStringLiteral("train"), defaults_.model.name);
    } catch (const Error& e) {
        QMessageBox::critical(this, tr("RankLab"), QString::fromUtf8(e.what()));
        return;
    }
    auto* job = new TrainJob(defaults_, runDir);
    current_ = job;
    plot_->graph(0)->data()->clear();
    plot_->graph(1)->data()->clear();
    connect(job, &Job::progressChanged, this, [this](const TrainProgress& p) {
        progress_->setValue(int(1000 * p.fraction));
        eta_->setText(p.etaSeconds >= 0 ? tr("ETA %1 s").arg(qRound(p.etaSeconds)) : QString());
    });
    connect(job, &Job::epochFinished, this, &MainWindow::onEpoch);
    connect(job, &Job::logLine, this, &MainWindow::appendLog);
    connect(job, &Job::failed, this, [this](const QString& message) {
        appendLog(message);
        QMessageBox::critical(this, tr("RankLab"), message);
    });
    connect(job, &Job::finished, this, [this](const QJsonObject& s) {
        appendLog(tr("finished: test top-1 %1%").arg(100 * s.value(QStringLiteral("final_test_top1")).toDouble(), 0, 'f', 2));
    });
    connect(job, &Job::cancelled, this, [this] { appendLog(tr("cancelled")); });
    connect(&runner_, &JobRunner::jobEnded, this, [this](Job* ended) {
        if (ended != current_)
            return;
        current_ = nullptr;
        trainButton_->setEnabled(true);
        cancelButton_->setEnabled(false);
    });
    trainButton_->setEnabled(false);
    cancelButton_->setEnabled(true);
    appendLog(tr("training %1 into %2").arg(defaults_.model.name, runDir));
    runner_.enqueue(job);
}

void MainWindow::onEpoch(const EpochMetrics& m)
{
    plot_->graph(0)->addData(m.epoch, 100 * m.testTop1);
    plot_->graph(1)->addData(m.epoch, m.trainLoss);
    plot_->rescaleAxes();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void MainWindow::appendLog(const QString& line)
{
    log_->appendPlainText(line);
}

} // namespace ranklab::ui
