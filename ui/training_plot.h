#pragma once

#include <QMap>
#include <QStringList>

#include "ui/plot_data.h"
#include "ui/plot_frame.h"

class QComboBox;
class QListWidget;

namespace ranklab::ui {

/// Live training curves (paper A Figs. 6–8, 11): test top-1 (left axis, solid) and train loss (right
/// axis, dashed) per epoch for every run ticked in the side list, a baseline run drawn grey and thick
/// underneath, and a dotted vertical line at each run's skip boundary (last "basis" epoch, from the
/// metrics' phase column). A sweep's runs are listed under the sweep; its baseline is drawn grey and thick, and
/// the ticked seeds of one of its runs draw as one band (mean line, lowest–highest seed shaded).
class TrainingPlot final : public PlotFrame {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingPlot)
public:
    explicit TrainingPlot(QWidget* parent = nullptr);

    /// Adds `run` or replaces the run with the same folder; a new run is shown when `show` is true.
    void setRun(const RunCurve& run, bool show = true);
    /// Appends one finished epoch to the run in `dir` (live updates; the run must have been set).
    void appendEpoch(const QString& dir, const EpochMetrics& epoch);
    /// Marks the run in `dir` completed or not (the list shows unfinished runs in italics).
    void setCompleted(const QString& dir, bool completed);
    void clear();
    /// Shows exactly the runs in `dirs`.
    void setShownRuns(const QStringList& dirs);
    QStringList shownRuns() const;
    /// The run drawn as the baseline (empty: none).
    void setBaseline(const QString& dir);
    QString baseline() const;

    const QMap<QString, RunCurve>& runs() const { return runs_; }
    /// Number of test-accuracy points drawn for the run in `dir` (0 when it is not drawn).
    int drawnPoints(const QString& dir) const;
    /// Seeds in the band the run in `dir` is drawn in (a sweep's seeds of one run, ticked together); 0 when it
    /// is drawn as a line of its own or not at all.
    int drawnBand(const QString& dir) const;
    /// Epoch where the vertical skip line of the run in `dir` is drawn; 0 for none.
    int drawnSkipLine(const QString& dir) const;

protected:
    QString toolTipAt(const QPoint& pixel) const override;

private:
    void rebuildList();
    void redraw();

    QMap<QString, RunCurve> runs_;
    QListWidget* list_;
    QComboBox* baseline_;
    QMap<QString, int> drawnPoints_;
    QMap<QString, int> drawnSkip_;
    QMap<QString, int> drawnBand_;
    bool rebuilding_ = false;
};

} // namespace ranklab::ui
