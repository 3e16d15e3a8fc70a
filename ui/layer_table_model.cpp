#include "ui/layer_table_model.h"

#include <algorithm>
#include <cmath>

#include <QColor>
#include <QLocale>
#include <QStringList>

namespace ranklab::ui {

namespace {
QString shapeText(const QVector<qint64>& shape)
{
    QStringList parts;
    for (qint64 x : shape)
        parts << QString::number(x);
    return parts.join(QStringLiteral("×"));
}
} // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

bool LayerTableModel::isRow(const QModelIndex& idx) const
{
    return idx.isValid() && idx.model() == this && !idx.parent().isValid() && idx.row() < rowCount() && idx.column() < ColumnCount;
}

void LayerTableModel::setModelInfo(const ModelInfo& info)
{
    beginResetModel();
    info_ = info;
    checked_ = QVector<bool>(info_.layers.size(), false);
    sensitivity_.clear();
    sensitivityCi_.clear();
    vbmfRank_.clear();
    speedup_.clear();
    measured_.clear();
    endResetModel();
    Q_EMIT checkedLayersChanged();
}

QVector<int> LayerTableModel::checkedLayers() const
{
    QVector<int> out;
    for (int r = 0; r < info_.layers.size(); ++r)
        if (checked_[r])
            out.push_back(info_.layers[r].index);
    std::sort(out.begin(), out.end());
    return out;
}

void LayerTableModel::setCheckedLayers(const QVector<int>& indices)
{
    bool changed = false;
    for (int r = 0; r < info_.layers.size(); ++r) {
        const bool want = indices.contains(info_.layers[r].index);
        if (checked_[r] != want) {
            checked_[r] = want;
            changed = true;
        }
    }
    if (!changed)
        return;
    Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1), {Qt::CheckStateRole, Qt::BackgroundRole});
    Q_EMIT checkedLayersChanged();
}

void LayerTableModel::setRangeChecked(int first, int last, bool checked)
{
    QVector<int> now = checkedLayers();
    for (const LayerInfo& l : info_.layers) {
        if (l.index < first || l.index > last)
            continue;
        if (checked && !now.contains(l.index))
            now.push_back(l.index);
        if (!checked)
            now.removeAll(l.index);
    }
    setCheckedLayers(now);
}

QString LayerTableModel::checkedSelectionText() const
{
    const QVector<int> idx = checkedLayers();
    QStringList parts;
    for (int i = 0; i < idx.size();) {
        int j = i;
        while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1)
            ++j;
        parts << (j > i ? QStringLiteral("%1-%2").arg(idx[i]).arg(idx[j]) : QString::number(idx[i]));
        i = j + 1;
    }
    return parts.join(QLatin1Char(','));
}

void LayerTableModel::setSensitivity(const QHash<int, double>& accDropByIndex)
{
    sensitivity_ = accDropByIndex;
    emitColumnChanged(Sensitivity);
}

void LayerTableModel::setSensitivityIntervals(const QHash<int, double>& ciByIndex)
{
    sensitivityCi_ = ciByIndex;
    emitColumnChanged(Sensitivity);
}

void LayerTableModel::setVbmfRanks(const QHash<int, int>& rankByIndex)
{
    vbmfRank_ = rankByIndex;
    emitColumnChanged(VbmfRank);
}

void LayerTableModel::setSpeedups(const QHash<int, double>& predictedSpeedupByIndex)
{
    speedup_ = predictedSpeedupByIndex;
    emitColumnChanged(Speedup);
}

void LayerTableModel::setMeasuredSpeedups(const QHash<int, double>& measuredSpeedupByIndex)
{
    measured_ = measuredSpeedupByIndex;
    emitColumnChanged(MeasuredSpeedup);
}

void LayerTableModel::setColourColumn(int column)
{
    if (column == colourColumn_)
        return;
    colourColumn_ = column;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1), {Qt::BackgroundRole});
}

void LayerTableModel::emitColumnChanged(int column)
{
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, column == colourColumn_ ? 0 : column),
                           index(rowCount() - 1, column == colourColumn_ ? ColumnCount - 1 : column));
}

int LayerTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(info_.layers.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool LayerTableModel::numericValue(int row, int column, double* value) const
{
    const LayerInfo& l = info_.layers[row];
    switch (column) {
    case Params: *value = double(l.params); return true;
    case Flops: *value = double(l.flops); return true;
    case Sensitivity:
        if (!sensitivity_.contains(l.index))
            return false;
        *value = sensitivity_.value(l.index);
        return true;
    case VbmfRank:
        if (!vbmfRank_.contains(l.index))
            return false;
        *value = vbmfRank_.value(l.index);
        return true;
    case Speedup:
        if (!speedup_.contains(l.index))
            return false;
        *value = speedup_.value(l.index);
        return true;
    case MeasuredSpeedup:
        if (!measured_.contains(l.index))
            return false;
        *value = measured_.value(l.index);
        return true;
    default: return false;
    }
}

QVariant LayerTableModel::data(const QModelIndex& idx, int role) const
{
    if (!isRow(idx))
        return {};
    const int row = idx.row(), col = idx.column();
    const LayerInfo& l = info_.layers[row];
    if (role == Qt::CheckStateRole && col == Index)
        return checked_[row] ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::TextAlignmentRole && col != Name && col != Type)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::BackgroundRole && colourColumn_ >= 0) {
        double v = 0;
        if (!numericValue(row, colourColumn_, &v))
            return {};
        double lo = v, hi = v;
        for (int r = 0; r < rowCount(); ++r) {
            double x = 0;
            if (numericValue(r, colourColumn_, &x)) {
                lo = std::min(lo, x);
                hi = std::max(hi, x);
            }
        }
        const double t = hi > lo ? (v - lo) / (hi - lo) : 0.0;
        return QColor::fromRgbF(1.0, 1.0 - 0.45 * t, 1.0 - 0.8 * t);
    }
    // A drop whose 95 % interval holds zero cannot be told from the baseline: greyed, and said in the tooltip.
    const bool hasCi = col == Sensitivity && sensitivity_.contains(l.index) && sensitivityCi_.contains(l.index);
    const bool withinNoise = hasCi && std::abs(sensitivity_.value(l.index)) <= sensitivityCi_.value(l.index);
    if (role == Qt::ForegroundRole && withinNoise)
        return QColor(140, 140, 140);
    if (role == Qt::ToolTipRole) {
        if (hasCi)
            return withinNoise ? tr("accuracy drop %1 ± %2 pp: the 95 % interval holds zero, so this layer cannot be told from "
                                    "the baseline at this budget")
                                     .arg(sensitivity_.value(l.index), 0, 'f', 2)
                                     .arg(sensitivityCi_.value(l.index), 0, 'f', 2)
                               : tr("accuracy drop %1 ± %2 pp (95 % interval over the sweep's seeds)")
                                     .arg(sensitivity_.value(l.index), 0, 'f', 2)
                                     .arg(sensitivityCi_.value(l.index), 0, 'f', 2);
        const QString shapes = tr("%1 (%2): input %3, output %4").arg(l.name, l.type, shapeText(l.inShape), shapeText(l.outShape));
        if (l.groups != 1) // depthwise convs (MobileNetV2): say why the methods leave them alone
            return shapes + QLatin1Char('\n')
                   + tr("A %1 convolution (groups = %2): basis convolutions and filter pruning do not apply to it — basis "
                        "filters span all input channels, and removing a depthwise filter would remove its input channel too.")
                         .arg(groupedConvKind(l))
                         .arg(l.groups);
        return shapes;
    }
    if (role != Qt::DisplayRole)
        return {};
    const QLocale locale;
    switch (col) {
    case Index: return l.index;
    case Name: return l.name;
    case Type: return l.groups != 1 ? tr("%1 (%2)").arg(l.type, groupedConvKind(l)) : l.type;
    case Shape: return shapeText(l.weightShape);
    case Params: return locale.toString(l.params);
    case Flops: return locale.toString(l.flops);
    case Sensitivity:
        if (!sensitivity_.contains(l.index))
            return {};
        if (hasCi)
            return QStringLiteral("%1 ± %2").arg(sensitivity_.value(l.index), 0, 'f', 2).arg(sensitivityCi_.value(l.index), 0, 'f', 2);
        return QString::number(sensitivity_.value(l.index), 'f', 2);
    case VbmfRank: return vbmfRank_.contains(l.index) ? QVariant(vbmfRank_.value(l.index)) : QVariant();
    case Speedup:
        return speedup_.contains(l.index) ? QVariant(QStringLiteral("%1×").arg(speedup_.value(l.index), 0, 'f', 2)) : QVariant();
    case MeasuredSpeedup:
        return measured_.contains(l.index) ? QVariant(QStringLiteral("%1×").arg(measured_.value(l.index), 0, 'f', 2)) : QVariant();
    default: return {};
    }
}

bool LayerTableModel::setData(const QModelIndex& idx, const QVariant& value, int role)
{
    if (!isRow(idx) || role != Qt::CheckStateRole
        || idx.column() != Index)
        return false;
    const bool want = value.toInt() == Qt::Checked;
    if (checked_[idx.row()] == want)
        return true;
    checked_[idx.row()] = want;
    Q_EMIT dataChanged(index(idx.row(), 0), index(idx.row(), ColumnCount - 1), {Qt::CheckStateRole});
    Q_EMIT checkedLayersChanged();
    return true;
}

Qt::ItemFlags LayerTableModel::flags(const QModelIndex& idx) const
{
    if (!isRow(idx))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
    if (idx.column() == Index)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const names[] = {"#", "Layer", "Type", "Weight", "Params", "FLOPs", "Acc. drop (pp)", "VBMF rank",
                                        "Pred. speed-up", "Meas. speed-up"};
    return tr(names[section]);
}

} // namespace ranklab::ui
