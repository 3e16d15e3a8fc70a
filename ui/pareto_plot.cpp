#include "ui/pareto_plot.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace ranklab::ui {

namespace {
QString layerList(const QVector<int>& layers)
{
    QStringList parts;
    for (int i : layers)
        parts << QString::number(i);
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QLatin1Char(','));
}
} // namespace

ParetoPlot::ParetoPlot(QWidget* parent) : PlotFrame(parent)
{
    axis_ = new QComboBox(this);
    axis_->addItem(tr("training time"));
    axis_->addItem(tr("model size"));
    toolBar()->insertWidget(0, new QLabel(tr("x axis"), this));
    toolBar()->insertWidget(1, axis_);
    info_ = new QLabel(tr("Click a point to select its layers."), this);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    train_ = new QPushButton(tr("Train these layers…"), this);
    train_->setEnabled(false);
    verdict_ = new QLabel(this);
    verdict_->setObjectName(QStringLiteral("pareto-verdict"));
    verdict_->setWordWrap(true);
    verdict_->setVisible(false);
    static_cast<QVBoxLayout*>(layout())->insertWidget(1, verdict_);
    auto* row = new QHBoxLayout;
    row->addWidget(info_, 1);
    row->addWidget(train_);
    static_cast<QVBoxLayout*>(layout())->addLayout(row);

    QCustomPlot* p = plot();
    p->yAxis->setLabel(tr("accuracy drop (percentage points)"));
    p->legend->setVisible(true);
    p->legend->setFont(QFont(font().family(), 8));
    connect(axis_, &QComboBox::currentIndexChanged, this, [this] {
        redraw();
        fitView();
    });
    connect(train_, &QPushButton::clicked, this, [this] {
        if (selected_ >= 0)
            Q_EMIT trainRequested(points_[selected_].layers);
    });
    connect(p, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        if (e->button() != Qt::LeftButton)
            return;
        const int i = pointAt(e->position());
        if (i >= 0)
            selectPoint(i);
    });
    redraw();
}

void ParetoPlot::setPoints(const QVector<ParetoPoint>& points)
{
    points_ = points;
    selected_ = -1;
    train_->setEnabled(false);
    info_->setText(points_.isEmpty() ? tr("No sweep yet: run one from Jobs ▸ Sensitivity sweep.")
                                     : tr("%1 combinations; click a point to select its layers.").arg(points_.size()));
    redraw();
    fitView();
}

void ParetoPlot::setVerdict(const QString& sentence, bool separates)
{
    verdict_->setText(sentence);
    verdict_->setStyleSheet(separates ? QString() : QStringLiteral("QLabel { color: #b35900; font-weight: bold; }"));
    verdict_->setVisible(!sentence.isEmpty());
}

QString ParetoPlot::verdict() const
{
    return verdict_->text();
}

void ParetoPlot::setXAxis(XAxis axis)
{
    axis_->setCurrentIndex(axis == XAxis::Time ? 0 : 1);
}

ParetoPlot::XAxis ParetoPlot::xAxisKind() const
{
    return axis_->currentIndex() == 0 ? XAxis::Time : XAxis::Size;
}

void ParetoPlot::setMaxDrawn(int n)
{
    maxDrawn_ = std::max(1, n);
    redraw();
}

bool ParetoPlot::onFront(const ParetoPoint& p) const
{
    return xAxisKind() == XAxis::Time ? p.onTimeFront : p.onSizeFront;
}

double ParetoPlot::xOf(const ParetoPoint& p) const
{
    return xAxisKind() == XAxis::Time ? p.time : p.size;
}

QString ParetoPlot::describe(const ParetoPoint& p) const
{
    return tr("layers %1: accuracy drop %2 pp, training time %3 %, model size %4 % (%5)")
        .arg(layerList(p.layers))
        .arg(p.accDropCi > 0 ? tr("%1 ± %2").arg(p.accDrop, 0, 'f', 2).arg(p.accDropCi, 0, 'f', 2) : QString::number(p.accDrop, 'f', 2))
        .arg(p.time, 0, 'f', 1)
        .arg(p.size, 0, 'f', 1)
        .arg(p.measured ? tr("measured") : tr("estimate"));
}

void ParetoPlot::redraw()
{
    QCustomPlot* p = plot();
    p->clearPlottables(); // graphs and the error bars
    p->clearItems();
    p->xAxis->setLabel(xAxisKind() == XAxis::Time ? tr("training time (% of baseline)") : tr("model size (% of baseline)"));
    // Which points to draw: the front always, the rest evenly sampled down to maxDrawn_.
    drawn_.clear();
    QVector<int> front, rest;
    for (int i = 0; i < points_.size(); ++i)
        (onFront(points_[i]) ? front : rest).push_back(i);
    const int room = std::max(0, maxDrawn_ - int(front.size()));
    if (rest.size() <= room) {
        drawn_ = rest;
    } else if (room > 0) {
        const double step = double(rest.size()) / room;
        for (int k = 0; k < room; ++k)
            drawn_.push_back(rest[int(k * step)]);
    }
    drawn_ += front;

    QCPGraph* all = p->addGraph();
    all->setLineStyle(QCPGraph::lsNone);
    all->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QColor(70, 110, 170, 150), 5));
    all->setName(drawn_.size() < points_.size() ? tr("combinations (%1 of %2 drawn)").arg(drawn_.size() - front.size()).arg(points_.size() - front.size())
                                                : tr("combinations"));
    for (int i : drawn_)
        if (!onFront(points_[i]))
            all->addData(xOf(points_[i]), points_[i].accDrop);

    std::sort(front.begin(), front.end(), [this](int a, int b) { return xOf(points_[a]) < xOf(points_[b]); });
    QCPGraph* f = p->addGraph();
    f->setPen(QPen(QColor(214, 39, 40), 1.5));
    f->setLineStyle(QCPGraph::lsStepLeft);
    f->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(214, 39, 40), 8));
    f->setName(tr("Pareto front"));
    QVector<double> frontErrors;
    bool intervals = false;
    for (int i : front) {
        f->addData(xOf(points_[i]), points_[i].accDrop);
        frontErrors << std::max(0.0, points_[i].accDropCi);
        intervals = intervals || points_[i].accDropCi > 0;
    }
    if (intervals) {
        // The front is computed on the means; its points' 95 % intervals show how far apart they really are.
        auto* eb = new QCPErrorBars(p->xAxis, p->yAxis);
        eb->setDataPlottable(f);
        eb->setData(frontErrors);
        eb->setPen(QPen(QColor(214, 39, 40, 140), 1));
        eb->setName(tr("95 % interval"));
    }

    QCPGraph* base = p->addGraph();
    base->setLineStyle(QCPGraph::lsNone);
    base->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QColor(20, 20, 20), 14));
    base->setName(tr("baseline"));
    base->addData(100.0, 0.0);

    if (selected_ >= 0) {
        QCPGraph* sel = p->addGraph();
        sel->setLineStyle(QCPGraph::lsNone);
        QCPScatterStyle ring(QCPScatterStyle::ssCircle, QPen(QColor(255, 140, 0), 2.5), Qt::NoBrush, 16);
        sel->setScatterStyle(ring);
        sel->setName(tr("selected"));
        sel->addData(xOf(points_[selected_]), points_[selected_].accDrop);
    }
    p->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::fitView()
{
    QCustomPlot* p = plot();
    p->rescaleAxes();
    const QCPRange x = p->xAxis->range(), y = p->yAxis->range();
    const double dx = std::max(1.0, 0.06 * x.size()), dy = std::max(0.1, 0.08 * y.size());
    p->xAxis->setRange(x.lower - dx, x.upper + dx);
    p->yAxis->setRange(y.lower - dy, y.upper + dy);
    p->replot(QCustomPlot::rpQueuedReplot);
}

QPointF ParetoPlot::pixelOf(int i) const
{
    const QPointF inPlot(plot()->xAxis->coordToPixel(xOf(points_[i])), plot()->yAxis->coordToPixel(points_[i].accDrop));
    return inPlot;
}

int ParetoPlot::pointAt(const QPointF& pixel, double radius) const
{
    int best = -1;
    double bestDist = radius;
    for (int i : drawn_) {
        const QPointF d = pixelOf(i) - pixel;
        const double dist = std::hypot(d.x(), d.y());
        if (dist <= bestDist) {
            bestDist = dist;
            best = i;
        }
    }
    return best;
}

void ParetoPlot::selectPoint(int i)
{
    selected_ = (i >= 0 && i < points_.size()) ? i : -1;
    train_->setEnabled(selected_ >= 0);
    if (selected_ >= 0) {
        info_->setText(describe(points_[selected_]));
        Q_EMIT pointClicked(points_[selected_]);
    }
    const QCPRange x = plot()->xAxis->range(), y = plot()->yAxis->range();
    redraw();
    plot()->xAxis->setRange(x);
    plot()->yAxis->setRange(y);
}

QString ParetoPlot::toolTipAt(const QPoint& pixel) const
{
    const int i = pointAt(pixel);
    return i < 0 ? QString() : describe(points_[i]);
}

} // namespace ranklab::ui
