#include "ui/layer_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/layer_table_model.h"

namespace ranklab::ui {

LayerPanel::LayerPanel(LayerTableModel* model, QWidget* parent) : QWidget(parent), model_(model)
{
    view_ = new QTableView(this);
    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setAlternatingRowColors(false);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);

    auto button = [this](const QString& text, const QString& tip, auto&& fn) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        connect(b, &QToolButton::clicked, this, fn);
        return b;
    };
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(button(tr("All"), tr("Check every layer"), [this] { model_->setRangeChecked(0, 1 << 30, true); }));
    bar->addWidget(button(tr("None"), tr("Uncheck every layer"), [this] { model_->setCheckedLayers({}); }));
    bar->addWidget(button(tr("Light 1–5"), tr("Paper A preset: check exactly layers 1–5"), [this] {
        model_->setCheckedLayers({1, 2, 3, 4, 5});
    }));
    bar->addWidget(button(tr("Heavy 16–20"), tr("Paper A preset: check exactly layers 16–20"), [this] {
        model_->setCheckedLayers({16, 17, 18, 19, 20});
    }));
    bar->addWidget(button(tr("Check sel."), tr("Check the highlighted rows (Space)"), [this] { checkHighlighted(true); }));
    bar->addStretch(1);
    bar->addWidget(new QLabel(tr("Colour by"), this));
    colourBy_ = new QComboBox(this);
    colourBy_->addItem(tr("nothing"), -1);
    colourBy_->addItem(tr("parameters"), int(LayerTableModel::Params));
    colourBy_->addItem(tr("FLOPs"), int(LayerTableModel::Flops));
    colourBy_->addItem(tr("sensitivity"), int(LayerTableModel::Sensitivity));
    colourBy_->addItem(tr("VBMF rank (spectral decay)"), int(LayerTableModel::VbmfRank));
    colourBy_->addItem(tr("predicted speed-up"), int(LayerTableModel::Speedup));
    colourBy_->addItem(tr("measured speed-up"), int(LayerTableModel::MeasuredSpeedup));
    bar->addWidget(colourBy_);
    connect(colourBy_, &QComboBox::currentIndexChanged, this,
            [this] { model_->setColourColumn(colourBy_->currentData().toInt()); });

    connect(view_, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        QMenu menu(this);
        menu.addAction(tr("Check highlighted"), this, [this] { checkHighlighted(true); });
        menu.addAction(tr("Uncheck highlighted"), this, [this] { checkHighlighted(false); });
        menu.exec(view_->viewport()->mapToGlobal(pos));
    });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(view_, 1);
}

void LayerPanel::checkHighlighted(bool checked)
{
    QVector<int> now = model_->checkedLayers();
    const auto rows = view_->selectionModel()->selectedRows();
    for (const QModelIndex& r : rows) {
        const int idx = model_->modelInfo().layers[r.row()].index;
        if (checked && !now.contains(idx))
            now.push_back(idx);
        if (!checked)
            now.removeAll(idx);
    }
    model_->setCheckedLayers(now);
}

} // namespace ranklab::ui
