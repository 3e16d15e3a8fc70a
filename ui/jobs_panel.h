#pragma once

#include <QHash>
#include <QJsonObject>
#include <QWidget>

class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace ranklab {
class Job;
class JobRunner;
struct TrainProgress;
} // namespace ranklab

namespace ranklab::ui {

/// Every job of the session, queued, running or ended, with a progress bar and ETA each; cancel the
/// selected job, re-run it with the same parameters, or open its run folder. A job whose units run on a
/// cluster is a parent row: its bar counts finished units, a child row per unit shows its state (and why a
/// failed one failed), Cancel scancels its job arrays and "Resubmit failed" sends the units that did not finish.
class JobsPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobsPanel)
public:
    explicit JobsPanel(JobRunner* runner, QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    /// The job of the selected row, or nullptr.
    Job* selectedJob() const;
    void selectJob(Job* job);
    /// "2 min 05 s", "45 s", or "" for an unknown (negative) time.
    static QString etaText(double seconds);

Q_SIGNALS:
    /// "Re-run": the user wants a new job with `job`'s parameters.
    void rerunRequested(ranklab::Job* job);
    /// "Resubmit failed": the user wants `job`'s unfinished units (failed, cancelled) sent to the cluster again.
    void resubmitRequested(ranklab::Job* job);

private:
    void addJob(Job* job);
    void updateState(Job* job);
    void updateProgress(Job* job, const TrainProgress& p);
    void updateUnits(Job* job, const QJsonObject& states);
    void updateButtons();

    JobRunner* runner_;
    QTreeWidget* tree_;
    QPushButton* cancel_;
    QPushButton* rerun_;
    QPushButton* open_;
    QPushButton* resubmit_;
    QHash<Job*, QTreeWidgetItem*> items_;
};

} // namespace ranklab::ui
