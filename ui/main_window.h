#pragma once

#include <QMainWindow>

#include "core/jobs/job_runner.h"
#include "core/models/registry.h"
#include "core/train/train_params.h"

class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace ranklab::ui {

/// RankLab's main window (the shell of the foundation issue): the default model's layer registry,
/// a short training job on the default data run in the background, a live accuracy/loss plot and a log.
/// The window never blocks: the job runs on JobRunner's worker, reports arrive as queued signals.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    MainWindow(TrainParams defaults, QString workspaceRoot, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Starts the default short training job (the "Train" button).
    void startTraining();
    JobRunner& runner() { return runner_; }
    QTableWidget* layerTable() const { return layers_; }
    QCustomPlot* plot() const { return plot_; }

private:
    void showModel(const ModelInfo& info);
    void onEpoch(const EpochMetrics& m);
    void appendLog(const QString& line);

    TrainParams defaults_;
    QString workspaceRoot_;
    JobRunner runner_;
    Job* current_ = nullptr;
    QTableWidget* layers_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* eta_ = nullptr;
    QPushButton* trainButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
};

} // namespace ranklab::ui
