#include "ui/plot_frame.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QSplitter>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace ranklab::ui {

PlotFrame::PlotFrame(QWidget* parent) : QWidget(parent)
{
    plot_ = new QCustomPlot(this);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setMinimumSize(200, 150);
    bar_ = new QHBoxLayout;
    bar_->setContentsMargins(0, 0, 0, 0);
    bar_->addStretch(1);
    auto add = [this](const QString& text, const QString& tip, auto&& fn) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        connect(b, &QToolButton::clicked, this, fn);
        bar_->addWidget(b);
    };
    add(tr("Fit"), tr("Show all data (drag to pan, wheel to zoom)"), [this] { fitView(); });
    add(tr("PNG…"), tr("Export the plot as a PNG image"), [this] { exportWithDialog(QStringLiteral("png")); });
    add(tr("PDF…"), tr("Export the plot as a PDF file"), [this] { exportWithDialog(QStringLiteral("pdf")); });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addLayout(bar_);
    body_ = new QSplitter(Qt::Horizontal, this);
    body_->addWidget(plot_);
    layout->addWidget(body_, 1);
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        const QString tip = toolTipAt(e->pos());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(e->globalPosition().toPoint(), tip, plot_);
    });
}

void PlotFrame::addSideWidget(QWidget* widget)
{
    body_->insertWidget(0, widget);
    body_->setStretchFactor(0, 0);
    body_->setStretchFactor(1, 1);
    body_->setSizes({180, 600});
}

void PlotFrame::fitView()
{
    plot_->rescaleAxes();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

bool PlotFrame::exportTo(const QString& path)
{
    const bool shown = plot_->isVisible() && plot_->width() > 50;
    const int w = shown ? plot_->width() : 1200, h = shown ? plot_->height() : 800;
    if (QFileInfo(path).suffix().compare(QLatin1String("pdf"), Qt::CaseInsensitive) == 0)
        return plot_->savePdf(path, w, h);
    return plot_->savePng(path, w, h);
}

void PlotFrame::exportWithDialog(const QString& suffix)
{
    const QString filter = suffix == QLatin1String("pdf") ? tr("PDF (*.pdf)") : tr("PNG image (*.png)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export plot"), QStringLiteral("plot.") + suffix, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    if (!exportTo(path))
        QMessageBox::critical(this, tr("RankLab"), tr("Cannot write %1.").arg(path));
}

} // namespace ranklab::ui
