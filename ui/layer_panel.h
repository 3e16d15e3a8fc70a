#pragma once

#include <QWidget>

class QComboBox;
class QTableView;

namespace ranklab::ui {

class LayerTableModel;

/// The layer table with its selection tools: select all / none, the paper's presets ("light": layers
/// 1–5, "heavy": 16–20, paper A §4.3), check/uncheck the highlighted rows (multi-select), and the column
/// that tints the rows.
class LayerPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LayerPanel)
public:
    explicit LayerPanel(LayerTableModel* model, QWidget* parent = nullptr);
    QTableView* view() const { return view_; }
    LayerTableModel* model() const { return model_; }

    /// Checks the highlighted (selected) rows, or unchecks them.
    void checkHighlighted(bool checked);

private:
    LayerTableModel* model_;
    QTableView* view_;
    QComboBox* colourBy_;
};

} // namespace ranklab::ui
