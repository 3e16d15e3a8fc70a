#pragma once

#include <QVector>

#include "ui/plot_data.h"
#include "ui/plot_frame.h"

namespace ranklab::ui {

/// Paper B Fig. 1: each layer's singular values divided by the largest (log scale) against their index,
/// one curve per layer, the rank the job chose marked with a diamond on the curve.
class SpectraPlot final : public PlotFrame {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SpectraPlot)
public:
    explicit SpectraPlot(QWidget* parent = nullptr);
    void setCurves(const QVector<SpectrumCurve>& curves, const QString& title);
    const QVector<SpectrumCurve>& curves() const { return curves_; }
    void fitView() override;

protected:
    QString toolTipAt(const QPoint& pixel) const override;

private:
    QVector<SpectrumCurve> curves_;
};

} // namespace ranklab::ui
