#include "ui/spectra_plot.h"

#include <cmath>

#include <qcustomplot.h>

namespace ranklab::ui {

SpectraPlot::SpectraPlot(QWidget* parent) : PlotFrame(parent)
{
    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("singular value index i"));
    p->yAxis->setLabel(tr("σ_i / σ_1"));
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    p->yAxis->setNumberFormat(QStringLiteral("eb"));
    p->yAxis->setNumberPrecision(0);
    p->legend->setVisible(true);
    p->legend->setFont(QFont(font().family(), 8));
    p->plotLayout()->insertRow(0);
    p->plotLayout()->addElement(0, 0, new QCPTextElement(p, tr("Spectra (no spectrum job yet)"), QFont(font().family(), 10, QFont::Bold)));
    fitView();
}

void SpectraPlot::setCurves(const QVector<SpectrumCurve>& curves, const QString& title)
{
    curves_ = curves;
    QCustomPlot* p = plot();
    static_cast<QCPTextElement*>(p->plotLayout()->element(0, 0))->setText(title.isEmpty() ? tr("Spectra") : title);
    p->clearGraphs();
    const int n = int(curves_.size());
    for (int c = 0; c < n; ++c) {
        const SpectrumCurve& curve = curves_[c];
        if (curve.values.isEmpty() || !(curve.values.first() > 0))
            continue;
        const QColor colour = QColor::fromHsvF(std::fmod(0.62 + 0.8 * c / std::max(1, n), 1.0), 0.75, 0.8);
        QCPGraph* g = p->addGraph();
        g->setPen(QPen(colour, 1.6));
        g->setName(curve.chosenRank > 0 ? tr("%1 (rank %2)").arg(curve.layer).arg(curve.chosenRank) : curve.layer);
        const double top = curve.values.first();
        for (int i = 0; i < curve.values.size(); ++i)
            if (curve.values[i] > 0)
                g->addData(i + 1, curve.values[i] / top);
        if (curve.chosenRank > 0 && curve.chosenRank <= curve.values.size() && curve.values[curve.chosenRank - 1] > 0) {
            QCPGraph* mark = p->addGraph();
            mark->setLineStyle(QCPGraph::lsNone);
            mark->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(colour.darker(130), 1.5), colour, 11));
            mark->addData(curve.chosenRank, curve.values[curve.chosenRank - 1] / top);
            mark->removeFromLegend();
        }
    }
    fitView();
}

void SpectraPlot::fitView()
{
    QCustomPlot* p = plot();
    if (p->graphCount() == 0) {
        p->xAxis->setRange(0, 10);
        p->yAxis->setRange(1e-4, 1.5);
    } else {
        p->rescaleAxes();
        const QCPRange y = p->yAxis->range();
        p->yAxis->setRange(std::max(1e-12, y.lower / 1.5), 1.5);
        p->xAxis->setRange(0, p->xAxis->range().upper * 1.03 + 1);
    }
    p->replot(QCustomPlot::rpQueuedReplot);
}

QString SpectraPlot::toolTipAt(const QPoint& pixel) const
{
    QCustomPlot* p = plot();
    double best = 8;
    QString tip;
    for (const SpectrumCurve& curve : curves_) {
        if (curve.values.isEmpty() || !(curve.values.first() > 0))
            continue;
        for (int i = 0; i < curve.values.size(); ++i) {
            const double v = curve.values[i] / curve.values.first();
            if (!(v > 0))
                continue;
            const double d = std::hypot(p->xAxis->coordToPixel(i + 1) - pixel.x(), p->yAxis->coordToPixel(v) - pixel.y());
            if (d < best) {
                best = d;
                tip = tr("%1\nσ_%2 / σ_1 = %3%4").arg(curve.layer).arg(i + 1).arg(v, 0, 'g', 4)
                          .arg(curve.chosenRank > 0 ? tr("\nchosen rank %1").arg(curve.chosenRank) : QString());
            }
        }
    }
    return tip;
}

} // namespace ranklab::ui
