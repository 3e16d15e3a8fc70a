#include "ui/sensitivity_plot.h"

#include <cmath>

#include <qcustomplot.h>

namespace ranklab::ui {

namespace {
const char* const kPanelNames[] = {"acc. drop (pp)", "time diff (%)", "size diff (%)"};
const QColor kPanelColours[] = {QColor(214, 39, 40), QColor(31, 119, 180), QColor(44, 160, 44)};

double valueOf(const SensitivityRow& r, int panel)
{
    return panel == 0 ? r.accDrop : panel == 1 ? r.timeDiff : r.sizeDiff;
}
} // namespace

SensitivityPlot::SensitivityPlot(QWidget* parent) : PlotFrame(parent)
{
    QCustomPlot* p = plot();
    p->plotLayout()->clear();
    auto* title = new QCPTextElement(p, tr("Sensitivity"), QFont(font().family(), 10, QFont::Bold));
    p->plotLayout()->addElement(0, 0, title);
    auto* group = new QCPMarginGroup(p);
    for (int k = 0; k < 3; ++k) {
        auto* rect = new QCPAxisRect(p);
        p->plotLayout()->addElement(k + 1, 0, rect);
        rect->axis(QCPAxis::atLeft)->setLabel(tr(kPanelNames[k]));
        rect->axis(QCPAxis::atBottom)->setLabel(k == 2 ? tr("layer") : QString());
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, group);
        rect->setRangeDrag(Qt::Horizontal);
        rect->setRangeZoom(Qt::Horizontal);
        panels_[k] = rect;
    }
    for (int k = 0; k < 2; ++k)
        connect(panels_[k]->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
                panels_[k + 1]->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::setRange));
    connect(panels_[2]->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
            panels_[0]->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::setRange));
    redraw();
}

void SensitivityPlot::setRows(const QVector<SensitivityRow>& rows, const QString& title)
{
    rows_ = rows;
    static_cast<QCPTextElement*>(plot()->plotLayout()->element(0, 0))
        ->setText(title.isEmpty() ? tr("Sensitivity (no sweep yet)") : title);
    redraw();
}

void SensitivityPlot::redraw()
{
    QCustomPlot* p = plot();
    p->clearPlottables();
    QVector<double> keys;
    QVector<QString> labels;
    for (const SensitivityRow& r : rows_) {
        keys << r.index;
        labels << QString::number(r.index);
    }
    for (int k = 0; k < 3; ++k) {
        QCPAxisRect* rect = panels_[k];
        auto* bars = new QCPBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        bars->setWidth(0.7);
        bars->setPen(Qt::NoPen);
        bars->setBrush(kPanelColours[k]);
        QVector<double> values;
        for (const SensitivityRow& r : rows_)
            values << valueOf(r, k);
        bars->setData(keys, values);
        if (k == 0) {
            // With seeds: each drop's 95 % interval as an error bar (one seed: none to draw).
            QVector<double> errors;
            bool any = false;
            for (const SensitivityRow& r : rows_) {
                errors << std::max(0.0, r.accDropCi);
                any = any || r.accDropCi >= 0;
            }
            if (any) {
                auto* bars95 = new QCPErrorBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
                bars95->setDataPlottable(bars);
                bars95->setData(errors);
                bars95->setPen(QPen(QColor(40, 40, 40), 1.2));
                bars95->setWhiskerWidth(6);
            }
        }
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        if (rows_.size() <= 40)
            ticker->addTicks(keys, labels);
        else
            for (int i = 0; i < rows_.size(); i += 5)
                ticker->addTick(keys[i], labels[i]);
        rect->axis(QCPAxis::atBottom)->setTicker(ticker);
    }
    fitView();
}

void SensitivityPlot::fitView()
{
    for (int k = 0; k < 3; ++k) {
        QCPAxisRect* rect = panels_[k];
        double lo = 0, hi = 0;
        for (const SensitivityRow& r : rows_) {
            const double ci = k == 0 ? std::max(0.0, r.accDropCi) : 0.0;
            lo = std::min(lo, valueOf(r, k) - ci);
            hi = std::max(hi, valueOf(r, k) + ci);
        }
        const double pad = std::max(0.05, 0.1 * (hi - lo));
        rect->axis(QCPAxis::atLeft)->setRange(lo - (lo < 0 ? pad : 0), hi + pad);
        if (rows_.isEmpty())
            rect->axis(QCPAxis::atBottom)->setRange(0, 1);
        else
            rect->axis(QCPAxis::atBottom)->setRange(rows_.first().index - 0.7, rows_.last().index + 0.7);
    }
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

QString SensitivityPlot::toolTipAt(const QPoint& pixel) const
{
    for (int k = 0; k < 3; ++k) {
        if (!panels_[k]->rect().contains(pixel))
            continue;
        const double key = panels_[k]->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x());
        for (const SensitivityRow& r : rows_)
            if (std::abs(key - r.index) <= 0.4)
                return tr("layer %1 (%2)\naccuracy drop %3 pp\ntraining time %4%5 %\nmodel size %6%7 %")
                    .arg(r.index)
                    .arg(r.name)
                    .arg(r.accDropCi < 0 ? tr("%1 (one seed: no interval)").arg(r.accDrop, 0, 'f', 2)
                                         : tr("%1 ± %2 (95 %, %3 seeds)%4")
                                               .arg(r.accDrop, 0, 'f', 2)
                                               .arg(r.accDropCi, 0, 'f', 2)
                                               .arg(r.seeds)
                                               .arg(r.distinguishable() ? QString() : tr(", within seed noise")))
                    .arg(r.timeDiff >= 0 ? QStringLiteral("+") : QString())
                    .arg(r.timeDiff, 0, 'f', 1)
                    .arg(r.sizeDiff >= 0 ? QStringLiteral("+") : QString())
                    .arg(r.sizeDiff, 0, 'f', 1);
    }
    return {};
}

} // namespace ranklab::ui
