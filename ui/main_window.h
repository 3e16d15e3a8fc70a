#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <QMainWindow>

#include "core/basis/skip_training.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/param_file.h"
#include "core/jobs/workspace.h"
#include "core/models/registry.h"
#include "core/ron/ron_job.h"
#include "core/search/sweep.h"

class QLabel;
class QMenu;
class QPlainTextEdit;
class QTabWidget;

namespace ranklab::ui {

class BasisTrainDialog;
class JobDialog;
class KindDialog;
class JobsPanel;
class LayerPanel;
class LayerTableModel;
class ModelPanel;
class ParetoPlot;
class RonReportView;
class RunViews;
class SensitivityPlot;
class SpectraPlot;
class TrainingPlot;
struct ParetoPoint;

/// RankLab's main window: model panel and layer table (docks, left), the plots as tabs (centre), jobs
/// and log (docks, bottom). Jobs run on JobRunner's worker; their reports arrive as queued signals, so
/// the window never blocks. Everything a job writes lives in the workspace folder; openWorkspace()
/// rebuilds every plot from it.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    /// Opens (creating it if needed) the workspace `workspaceRoot` and builds the model panel's model.
    explicit MainWindow(const QString& workspaceRoot, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Re-reads every run folder of `root` into the plots (creating the folder on first use).
    void openWorkspace(const QString& root);
    QString workspaceRoot() const { return workspaceRoot_; }
    /// Checks that `path` loads into the current model (in the background), then uses it as the
    /// starting weights of every job and adds it to the recent files. Errors go to a dialog.
    void openWeights(const QString& path);

    /// Model, data and starting weights from the model panel, with a short default schedule; threads:
    /// all cores but one, so the window keeps a core.
    TrainParams baseTrainParams() const;
    /// The basis-training dialog pre-filled with the checked layers (caller owns it).
    std::unique_ptr<BasisTrainDialog> createBasisTrainDialog();
    /// Creates a run folder and queues the job; returns it (owned by runner()), or nullptr after an error.
    Job* launchBasisTraining(const basis::BasisTrainParams& params);
    Job* launchTraining(const TrainParams& params);
    Job* launchSweep(const search::SweepParams& params);
    Job* launchSpectrum(const ron::SpectrumParams& params);
    Job* launchRon(const ron::RonParams& params);
    /// Queues `params` of `kind` (in a new workspace run folder when the kind writes one).
    Job* launchKind(const JobKind& kind, const Params& params);
    /// The schema form of kind `id`, pre-filled from the model panel, the checked layers and the weights
    /// (caller owns it); nullptr for an unknown kind.
    std::unique_ptr<KindDialog> createKindDialog(const QString& id);
    /// Runs the job stored in `dir`/job.json again, in a new run folder; nullptr (and a dialog) on error.
    Job* rerunFolder(const QString& dir);
    /// The model panel, data, weights, short schedule and checked layers as option values.
    QMap<QString, QString> prefillValues() const;

    /// Reads a parameter file (core/jobs/param_file.h, e.g. resources/examples/*.json): its model and data
    /// options go to the model panel and its starting weights are checked; once both are ready, the job
    /// dialog of its command opens filled from it (parameterDialogOpened), and Start queues the job.
    /// The options a dialog does not show are named in the log. Errors go to a dialog.
    void openParameterFile(const QString& path);
    /// The job dialog of `file`'s command (train, basis-train, sweep, spectrum, ron) for the current
    /// model, filled from its options; `unused` gets the options it does not show (--out, --threads, …).
    /// nullptr (and the error shown) for another command or an option value the form cannot take.
    std::unique_ptr<JobDialog> createDialogFor(const ParamFile& file, QStringList* unused);

    JobRunner& runner() { return runner_; }
    LayerTableModel* layerModel() const { return layerModel_; }
    LayerPanel* layerPanel() const { return layerPanel_; }
    ModelPanel* modelPanel() const { return modelPanel_; }
    JobsPanel* jobsPanel() const { return jobsPanel_; }
    TrainingPlot* trainingPlot() const { return trainingPlot_; }
    SensitivityPlot* sensitivityPlot() const { return sensitivityPlot_; }
    ParetoPlot* paretoPlot() const { return paretoPlot_; }
    SpectraPlot* spectraPlot() const { return spectraPlot_; }
    RonReportView* ronReport() const { return ronReport_; }
    QPlainTextEdit* reports() const { return reports_; }
    QTabWidget* tabs() const { return tabs_; }
    /// True once the layer table shows the model panel's current model.
    bool modelReady() const { return modelReady_; }

Q_SIGNALS:
    /// The layer table now shows the model panel's model (built in the background).
    void modelLoaded();
    /// A weights file was checked and accepted (or refused: `ok` false).
    void weightsChecked(const QString& path, bool ok);
    /// A parameter file's dialog is about to be shown (modal); tests read or close it here.
    void parameterDialogOpened(ranklab::ui::JobDialog* dialog);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void reloadModel();
    void openBasisTrainDialog();
    void openSweepDialog();
    void openSpectrumDialog();
    void openRonDialog();
    /// File ▸ Export model…: the export job's form for the open weights, set to TorchScript and a .pt file beside them.
    void openExportDialog();
    /// The Jobs menu entry of kind `id`: its hand-made dialog or its schema form.
    void openJobDialog(const QString& id);
    static const ParamSchema& prefillSchema();
    /// Opens the pending parameter file's dialog once the model is built and its weights are checked.
    void openPendingParameterDialog();
    /// Starts the job of an accepted dialog made by createDialogFor().
    void launchFromDialog(JobDialog* dialog);
    void onParetoPoint(const ParetoPoint& point);
    Job* launch(Job* job);
    void rerun(Job* job);
    void onJobEnded(Job* job);
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void appendLog(const QString& line);
    void showError(const QString& sentence);
    void updateStatus();

    QString workspaceRoot_;
    JobRunner runner_;
    LayerTableModel* layerModel_;
    LayerPanel* layerPanel_;
    ModelPanel* modelPanel_;
    JobsPanel* jobsPanel_;
    TrainingPlot* trainingPlot_;
    SensitivityPlot* sensitivityPlot_;
    ParetoPlot* paretoPlot_;
    SpectraPlot* spectraPlot_;
    RonReportView* ronReport_;
    QTabWidget* tabs_;
    QPlainTextEdit* log_;
    QPlainTextEdit* reports_;
    QMenu* viewMenu_ = nullptr;
    QLabel* statusWorkspace_;
    QLabel* statusJobs_;
    QMenu* recentMenu_ = nullptr;
    /// The workspace → plots routing and the per-layer figures.
    RunViews* runViews_;
    std::optional<ParamFile> pendingParams_;
    bool pendingWeights_ = false;
    int modelGeneration_ = 0;
    bool modelReady_ = false;
};

} // namespace ranklab::ui
