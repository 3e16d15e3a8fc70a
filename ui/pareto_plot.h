#pragma once

#include <QVector>

#include "ui/plot_data.h"
#include "ui/plot_frame.h"

class QComboBox;
class QLabel;
class QPushButton;

namespace ranklab::ui {

/// Paper A Fig. 10: every layer combination of a sweep as accuracy drop (y, percentage points) against
/// training time or model size (x, percent of the baseline), the Pareto front highlighted and joined,
/// the baseline marked at (100 %, 0). When there are more than maxDrawn() combinations, the front and an
/// evenly spaced sample of the rest are drawn. Clicking a point selects it: pointClicked carries its
/// layer set, the label shows its estimates, and "Train these layers…" asks for a basis-training job.
class ParetoPlot final : public PlotFrame {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ParetoPlot)
public:
    enum class XAxis { Time, Size };
    explicit ParetoPlot(QWidget* parent = nullptr);

    void setPoints(const QVector<ParetoPoint>& points);
    /// The sweep's verdict (search::sweepVerdict) shown above the plot; `separates` false marks the front as
    /// noise (the sentence in the warning colour).
    void setVerdict(const QString& sentence, bool separates);
    QString verdict() const;
    const QVector<ParetoPoint>& points() const { return points_; }
    void setXAxis(XAxis axis);
    XAxis xAxisKind() const;
    void setMaxDrawn(int n);
    int maxDrawn() const { return maxDrawn_; }
    /// Indices into points() that are drawn (all of them unless sampled).
    const QVector<int>& drawnPoints() const { return drawn_; }
    /// Pixel position of points()[i] in the plot widget (for tests and keyboard navigation).
    QPointF pixelOf(int i) const;
    /// Index of the drawn point nearest to `pixel` within `radius` pixels, or -1.
    int pointAt(const QPointF& pixel, double radius = 8) const;
    /// Selects points()[i] as if clicked (-1 clears).
    void selectPoint(int i);
    int selectedPoint() const { return selected_; }

    void fitView() override;

Q_SIGNALS:
    void pointClicked(const ranklab::ui::ParetoPoint& point);
    /// "Train these layers…": a basis-training job for this layer set.
    void trainRequested(const QVector<int>& layers);

protected:
    QString toolTipAt(const QPoint& pixel) const override;

private:
    double xOf(const ParetoPoint& p) const;
    bool onFront(const ParetoPoint& p) const;
    QString describe(const ParetoPoint& p) const;
    void redraw();

    QVector<ParetoPoint> points_;
    QVector<int> drawn_;
    int maxDrawn_ = 4000;
    int selected_ = -1;
    QComboBox* axis_;
    QLabel* info_;
    QLabel* verdict_;
    QPushButton* train_;
};

} // namespace ranklab::ui
