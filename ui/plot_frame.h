#pragma once

#include <QWidget>

class QCustomPlot;
class QHBoxLayout;
class QSplitter;

namespace ranklab::ui {

/// A QCustomPlot with the tools every RankLab plot shares: drag to pan, wheel to zoom, "Fit" to reset
/// the view, export to PNG and PDF, and tooltips for the item under the mouse (toolTipAt).
class PlotFrame : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlotFrame)
public:
    explicit PlotFrame(QWidget* parent = nullptr);
    QCustomPlot* plot() const { return plot_; }

    /// Writes the plot to `path`: PDF for a .pdf suffix, PNG otherwise (at the widget's size, or 1200×800
    /// when hidden). Returns false if the file cannot be written.
    bool exportTo(const QString& path);
    /// Rescales the axes to show all data.
    virtual void fitView();

protected:
    /// The tooltip for the mouse at `pixel` (plot coordinates), or empty for none.
    virtual QString toolTipAt(const QPoint& pixel) const { return {}; }
    /// Room for a subclass's own controls, left of the shared buttons.
    QHBoxLayout* toolBar() const { return bar_; }
    /// Puts `widget` left of the plot (a list of what is drawn, for instance).
    void addSideWidget(QWidget* widget);

private:
    void exportWithDialog(const QString& suffix);
    QCustomPlot* plot_;
    QHBoxLayout* bar_;
    QSplitter* body_;
};

} // namespace ranklab::ui
