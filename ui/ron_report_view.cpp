#include "ui/ron_report_view.h"

#include <QHeaderView>

namespace ranklab::ui {

RonReportView::RonReportView(QWidget* parent) : QTableWidget(parent)
{
    setColumnCount(7);
    setHorizontalHeaderLabels({tr("Model"), tr("Modified layers"), tr("Accuracy (%)"), tr("No fine-tuning (%)"),
                               tr("Fine-tuned (%)"), tr("FLOP reduction"), tr("CPU speed-up")});
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true);
    verticalHeader()->hide();
    setEditTriggers(NoEditTriggers);
    setSelectionBehavior(SelectRows);
}

void RonReportView::setRows(const QVector<RonReportRow>& rows)
{
    rows_ = rows;
    setRowCount(int(rows_.size()));
    for (int r = 0; r < rows_.size(); ++r) {
        const RonReportRow& x = rows_[r];
        const QStringList cells = {x.model,
                                   x.modifiedLayers,
                                   QString::number(x.accuracy, 'f', 2),
                                   QString::number(x.accNoFineTune, 'f', 2),
                                   x.accFineTuned >= 0 ? QString::number(x.accFineTuned, 'f', 2) : tr("—"),
                                   QStringLiteral("%1×").arg(x.flopReduction, 0, 'f', 2),
                                   x.cpuSpeedup > 0 ? QStringLiteral("%1×").arg(x.cpuSpeedup, 0, 'f', 2) : tr("—")};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c >= 2)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            setItem(r, c, item);
        }
    }
}

} // namespace ranklab::ui
