#pragma once

#include <QVector>

#include "ui/plot_data.h"
#include "ui/plot_frame.h"

class QCPAxisRect;

namespace ranklab::ui {

/// Paper A Fig. 9: one bar per swept layer in three stacked panels sharing the layer axis — accuracy drop
/// (percentage points), training-time difference and model-size difference (percent of the baseline).
class SensitivityPlot final : public PlotFrame {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SensitivityPlot)
public:
    explicit SensitivityPlot(QWidget* parent = nullptr);
    void setRows(const QVector<SensitivityRow>& rows, const QString& title);
    const QVector<SensitivityRow>& rows() const { return rows_; }
    void fitView() override;

protected:
    QString toolTipAt(const QPoint& pixel) const override;

private:
    void redraw();
    QVector<SensitivityRow> rows_;
    QCPAxisRect* panels_[3] = {};
};

} // namespace ranklab::ui
