#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QVector>

#include "core/models/registry.h"

namespace ranklab::ui {

/// The layer registry as a checkable table: one row per conv/linear layer (index, name, type, weight
/// shape, parameters, FLOPs) plus the per-layer figures that jobs find later — sensitivity (accuracy drop,
/// paper A Fig. 9), VBMF rank (paper B §3) and the predicted speed-up of a pair-form basis conv (paper A
/// §3.1), and the measured one after a `cost --measure` job. The check boxes are the layer selection every job dialog starts from. Rows can be tinted by one
/// numeric column (white → orange over that column's range).
class LayerTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LayerTableModel)
public:
    enum Column { Index, Name, Type, Shape, Params, Flops, Sensitivity, VbmfRank, Speedup, MeasuredSpeedup, ColumnCount };

    explicit LayerTableModel(QObject* parent = nullptr);

    /// Replaces the registry; clears the checks and the per-layer figures.
    void setModelInfo(const ModelInfo& info);
    const ModelInfo& modelInfo() const { return info_; }

    /// Registry indices (1-based) of the checked layers, ascending.
    QVector<int> checkedLayers() const;
    /// Checks exactly `indices` (unknown indices are ignored) and unchecks everything else.
    void setCheckedLayers(const QVector<int>& indices);
    /// Checks or unchecks the layers with registry index in [first, last].
    void setRangeChecked(int first, int last, bool checked);
    /// The selection in resolveLayerSelection's syntax, ranges collapsed ("1-5,16").
    QString checkedSelectionText() const;

    /// Per-layer figures keyed by registry index; a missing index shows an empty cell.
    void setSensitivity(const QHash<int, double>& accDropByIndex);
    /// Half-widths of the drops' 95 % intervals (pp) from a seeded sweep: the Sensitivity cell shows
    /// "drop ± interval", greyed where the interval holds zero (indistinguishable from the baseline).
    void setSensitivityIntervals(const QHash<int, double>& ciByIndex);
    void setVbmfRanks(const QHash<int, int>& rankByIndex);
    void setSpeedups(const QHash<int, double>& predictedSpeedupByIndex);
    /// Measured Conv2d time / pair-form time (forward + backward) per layer, from a `cost --measure` job.
    void setMeasuredSpeedups(const QHash<int, double>& measuredSpeedupByIndex);
    /// Tints rows by `column` (Params, Flops, Sensitivity, VbmfRank, Speedup or MeasuredSpeedup); -1 for no tint.
    void setColourColumn(int column);
    int colourColumn() const { return colourColumn_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    /// The set of checked layers changed (by the user or programmatically).
    void checkedLayersChanged();

private:
    /// A valid cell of this table (quietly false for anything else).
    bool isRow(const QModelIndex& idx) const;
    /// The numeric value of `column` for `row`, if it has one.
    bool numericValue(int row, int column, double* value) const;
    void emitColumnChanged(int column);

    ModelInfo info_;
    QVector<bool> checked_;
    QHash<int, double> sensitivity_;
    QHash<int, double> sensitivityCi_;
    QHash<int, int> vbmfRank_;
    QHash<int, double> speedup_;
    QHash<int, double> measured_;
    int colourColumn_ = -1;
};

} // namespace ranklab::ui
