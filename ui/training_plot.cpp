#include "ui/training_plot.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QListWidget>
#include <QSet>
#include <qcustomplot.h>

namespace ranklab::ui {

namespace {
QColor runColour(int i)
{
    static const QColor palette[] = {QColor(31, 119, 180), QColor(214, 39, 40),  QColor(44, 160, 44),
                                     QColor(148, 103, 189), QColor(255, 127, 14), QColor(140, 86, 75),
                                     QColor(227, 119, 194), QColor(23, 190, 207)};
    return palette[i % 8];
}
} // namespace

TrainingPlot::TrainingPlot(QWidget* parent) : PlotFrame(parent)
{
    list_ = new QListWidget(this);
    list_->setToolTip(tr("Tick the runs to draw"));
    addSideWidget(list_);
    baseline_ = new QComboBox(this);
    baseline_->setToolTip(tr("The run drawn as the baseline (grey)"));
    baseline_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    baseline_->setMaximumWidth(320);
    toolBar()->insertWidget(0, new QLabel(tr("Baseline"), this));
    toolBar()->insertWidget(1, baseline_);

    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("epoch"));
    p->yAxis->setLabel(tr("test top-1 (%) — solid"));
    p->yAxis2->setLabel(tr("train loss — dashed"));
    p->yAxis2->setVisible(true);
    p->legend->setVisible(true);
    p->legend->setFont(QFont(font().family(), 8));
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);

    connect(list_, &QListWidget::itemChanged, this, [this] {
        if (!rebuilding_)
            redraw();
    });
    connect(baseline_, &QComboBox::currentIndexChanged, this, [this] {
        if (!rebuilding_)
            redraw();
    });
    redraw();
}

void TrainingPlot::setRun(const RunCurve& run, bool show)
{
    const bool isNew = !runs_.contains(run.dir);
    QStringList shown = shownRuns();
    runs_[run.dir] = run;
    if (isNew && show)
        shown << run.dir;
    rebuildList();
    setShownRuns(shown);
}

void TrainingPlot::appendEpoch(const QString& dir, const EpochMetrics& epoch)
{
    auto it = runs_.find(dir);
    if (it == runs_.end())
        return;
    QVector<EpochMetrics>& rows = it->epochs;
    while (!rows.isEmpty() && rows.last().epoch >= epoch.epoch)
        rows.removeLast(); // a resumed run reports from its checkpoint on
    rows.push_back(epoch);
    redraw();
}

void TrainingPlot::setCompleted(const QString& dir, bool completed)
{
    auto it = runs_.find(dir);
    if (it == runs_.end())
        return;
    it->completed = completed;
    const QStringList shown = shownRuns();
    rebuildList();
    setShownRuns(shown);
}

void TrainingPlot::clear()
{
    runs_.clear();
    rebuildList();
    redraw();
}

void TrainingPlot::setShownRuns(const QStringList& dirs)
{
    rebuilding_ = true;
    for (int i = 0; i < list_->count(); ++i) {
        QListWidgetItem* item = list_->item(i);
        const QString dir = item->data(Qt::UserRole).toString();
        if (!dir.isEmpty()) // not a sweep's header line
            item->setCheckState(dirs.contains(dir) ? Qt::Checked : Qt::Unchecked);
    }
    rebuilding_ = false;
    redraw();
}

QStringList TrainingPlot::shownRuns() const
{
    QStringList out;
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->checkState() == Qt::Checked && !list_->item(i)->data(Qt::UserRole).toString().isEmpty())
            out << list_->item(i)->data(Qt::UserRole).toString();
    return out;
}

void TrainingPlot::setBaseline(const QString& dir)
{
    const int i = baseline_->findData(dir);
    baseline_->setCurrentIndex(i < 0 ? 0 : i);
}

QString TrainingPlot::baseline() const
{
    return baseline_->currentData().toString();
}

void TrainingPlot::rebuildList()
{
    rebuilding_ = true;
    const QString base = baseline();
    list_->clear();
    baseline_->clear();
    baseline_->addItem(tr("none"), QString());
    QString group;
    for (const RunCurve& r : runs_) {
        // A sweep's runs sit under one header line naming the sweep (runs_ is ordered by folder, so they are
        // adjacent), each listed by its folder name.
        if (!r.group.isEmpty() && r.group != group) {
            auto* header = new QListWidgetItem(r.label.section(QStringLiteral(" · "), 0, 0), list_);
            header->setFlags(Qt::ItemIsEnabled);
            header->setToolTip(r.group);
            QFont bold = header->font();
            bold.setBold(true);
            header->setFont(bold);
        }
        group = r.group;
        auto* item = new QListWidgetItem(r.group.isEmpty() ? r.label : QStringLiteral("    ") + QFileInfo(r.dir).fileName(), list_);
        item->setData(Qt::UserRole, r.dir);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
        item->setToolTip(r.dir + (r.completed ? QString() : tr("\n(incomplete: no summary.json)")));
        QFont f = item->font();
        f.setItalic(!r.completed);
        item->setFont(f);
        baseline_->addItem(r.label, r.dir);
    }
    const int i = baseline_->findData(base);
    baseline_->setCurrentIndex(i < 0 ? 0 : i);
    rebuilding_ = false;
}

void TrainingPlot::redraw()
{
    QCustomPlot* p = plot();
    p->clearGraphs();
    p->clearItems();
    drawnPoints_.clear();
    drawnSkip_.clear();
    drawnBand_.clear();
    const QString base = baseline();
    QStringList order = shownRuns();
    if (!base.isEmpty() && runs_.contains(base)) {
        order.removeAll(base);
        order.prepend(base); // drawn first, underneath
    }
    // The shown seeds of one sweep run (same group and series) draw as one band: the mean as the line, the
    // band from the lowest to the highest seed, per epoch.
    QMap<QString, QStringList> bands;
    for (const QString& dir : order) {
        const RunCurve& run = runs_[dir];
        if (!run.group.isEmpty())
            bands[run.group + QLatin1Char('\n') + run.series] << dir;
    }
    QHash<QString, QStringList> bandOf; // first member → members, for bands of two or more
    QSet<QString> inBand;
    for (const QStringList& members : std::as_const(bands))
        if (members.size() >= 2) {
            bandOf.insert(members.first(), members);
            for (const QString& d : members)
                inBand.insert(d);
        }
    int colour = 0;
    double maxEpoch = 1;
    for (const QString& dir : order) {
        const RunCurve& run = runs_[dir];
        drawnPoints_[dir] = int(run.epochs.size());
        for (const EpochMetrics& m : run.epochs)
            maxEpoch = std::max(maxEpoch, double(m.epoch));
        if (inBand.contains(dir) && !bandOf.contains(dir))
            continue; // drawn with its band
        const QStringList members = bandOf.value(dir, QStringList{dir});
        const bool isBase = members.contains(base) || (!run.group.isEmpty() && run.series == QLatin1String("baseline"));
        const QColor c = isBase ? QColor(120, 120, 120) : runColour(colour++);
        QCPGraph* acc = p->addGraph(p->xAxis, p->yAxis);
        QCPGraph* loss = p->addGraph(p->xAxis, p->yAxis2);
        QPen accPen(c, isBase ? 3.5 : 2.0);
        QPen lossPen(c, isBase ? 2.5 : 1.5, Qt::DashLine);
        acc->setPen(accPen);
        loss->setPen(lossPen);
        acc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, isBase ? 7 : 5));
        loss->removeFromLegend();
        if (members.size() == 1) {
            acc->setName(isBase ? tr("baseline: %1").arg(run.label) : run.label);
            for (const EpochMetrics& m : run.epochs) {
                acc->addData(m.epoch, 100 * m.testTop1);
                loss->addData(m.epoch, m.trainLoss);
            }
        } else {
            QMap<int, QVector<double>> accAt, lossAt;
            for (const QString& d : members)
                for (const EpochMetrics& m : runs_[d].epochs) {
                    accAt[m.epoch].push_back(100 * m.testTop1);
                    lossAt[m.epoch].push_back(m.trainLoss);
                }
            QCPGraph* low = p->addGraph(p->xAxis, p->yAxis);
            QCPGraph* high = p->addGraph(p->xAxis, p->yAxis);
            for (QCPGraph* g : {low, high}) {
                g->setPen(QPen(QColor(c.red(), c.green(), c.blue(), 90), 1));
                g->removeFromLegend();
            }
            high->setBrush(QColor(c.red(), c.green(), c.blue(), 50));
            high->setChannelFillGraph(low);
            for (auto it = accAt.cbegin(); it != accAt.cend(); ++it) {
                const QVector<double>& v = it.value();
                double sum = 0;
                for (double x : v)
                    sum += x;
                acc->addData(it.key(), sum / double(v.size()));
                low->addData(it.key(), *std::min_element(v.begin(), v.end()));
                high->addData(it.key(), *std::max_element(v.begin(), v.end()));
            }
            for (auto it = lossAt.cbegin(); it != lossAt.cend(); ++it) {
                double sum = 0;
                for (double x : it.value())
                    sum += x;
                loss->addData(it.key(), sum / double(it.value().size()));
            }
            const QString name = run.label.section(QStringLiteral(" · "), 0, 0) + QStringLiteral(" · ") + run.series;
            acc->setName(tr("%1%2 (mean of %3 seeds, band: lowest–highest)")
                             .arg(isBase ? tr("baseline: ") : QString(), name)
                             .arg(members.size()));
            for (const QString& d : members)
                drawnBand_[d] = int(members.size());
        }
        const int skip = run.skipBoundary();
        if (skip > 0) {
            auto* line = new QCPItemStraightLine(p);
            line->point1->setCoords(skip, 0);
            line->point2->setCoords(skip, 1);
            line->setPen(QPen(c, 1.5, Qt::DotLine));
            auto* label = new QCPItemText(p);
            label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            label->position->setCoords(skip, 0.02);
            label->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
            label->setText(tr(" skip"));
            label->setColor(c);
            for (const QString& d : members)
                drawnSkip_[d] = skip;
        }
    }
    p->xAxis->setRange(0.5, maxEpoch + 0.5);
    p->yAxis->rescale();
    p->yAxis2->rescale();
    if (p->graphCount() == 0) {
        p->yAxis->setRange(0, 100);
        p->yAxis2->setRange(0, 2.5);
    } else {
        const QCPRange a = p->yAxis->range(), l = p->yAxis2->range();
        p->yAxis->setRange(std::max(0.0, a.lower - 3), std::min(100.0, a.upper + 3));
        p->yAxis2->setRange(std::max(0.0, l.lower - 0.1), l.upper + 0.1);
    }
    p->replot(QCustomPlot::rpQueuedReplot);
}

int TrainingPlot::drawnPoints(const QString& dir) const
{
    return drawnPoints_.value(dir, 0);
}

int TrainingPlot::drawnBand(const QString& dir) const
{
    return drawnBand_.value(dir, 0);
}

int TrainingPlot::drawnSkipLine(const QString& dir) const
{
    return drawnSkip_.value(dir, 0);
}

QString TrainingPlot::toolTipAt(const QPoint& pixel) const
{
    QCustomPlot* p = plot();
    double best = 10; // pixels
    QString tip;
    const QStringList order = shownRuns();
    for (const QString& dir : order) {
        const RunCurve& run = runs_[dir];
        for (const EpochMetrics& m : run.epochs) {
            const double dx = p->xAxis->coordToPixel(m.epoch) - pixel.x();
            for (const auto& [axis, value] : {std::pair{p->yAxis, 100 * m.testTop1}, std::pair{p->yAxis2, m.trainLoss}}) {
                const double d = std::hypot(dx, axis->coordToPixel(value) - pixel.y());
                if (d < best) {
                    best = d;
                    tip = tr("%1\nepoch %2 (%3)\ntest top-1 %4%  top-5 %5%\ntrain loss %6  lr %7")
                              .arg(run.label)
                              .arg(m.epoch)
                              .arg(m.phase)
                              .arg(100 * m.testTop1, 0, 'f', 2)
                              .arg(100 * m.testTop5, 0, 'f', 2)
                              .arg(m.trainLoss, 0, 'f', 4)
                              .arg(m.lr, 0, 'g', 3);
                }
            }
        }
    }
    return tip;
}

} // namespace ranklab::ui
