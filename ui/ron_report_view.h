#pragma once

#include <QTableWidget>
#include <QVector>

#include "ui/plot_data.h"

namespace ranklab::ui {

/// Paper B's report table: one row per RON build — model, modified layers, teacher accuracy, student
/// accuracy without and with fine-tuning, FLOP reduction and measured CPU speed-up.
class RonReportView final : public QTableWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RonReportView)
public:
    explicit RonReportView(QWidget* parent = nullptr);
    void setRows(const QVector<RonReportRow>& rows);
    const QVector<RonReportRow>& rows() const { return rows_; }

private:
    QVector<RonReportRow> rows_;
};

} // namespace ranklab::ui
