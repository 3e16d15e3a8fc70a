#pragma once

#include <QHash>
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
/// selected job, re-run it with the same parameters, or open its run folder.
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

private:
    void addJob(Job* job);
    void updateState(Job* job);
    void updateProgress(Job* job, const TrainProgress& p);
    void updateButtons();

    JobRunner* runner_;
    QTreeWidget* tree_;
    QPushButton* cancel_;
    QPushButton* rerun_;
    QPushButton* open_;
    QHash<Job*, QTreeWidgetItem*> items_;
};

} // namespace ranklab::ui
