#pragma once

#include <QWidget>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ranklab::ui {

/// What every job starts from: a zoo architecture with its options (width multiplier, classes, input
/// channels and size), a data set (Fashion-MNIST by default, subsets for quick experiments) and an
/// optional weights file to start from. The input options follow the data set unless edited.
class ModelPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelPanel)
public:
    explicit ModelPanel(QWidget* parent = nullptr);

    ModelSpec modelSpec() const;
    DataSpec dataSpec() const;
    QString weightsFile() const;
    /// The device field: "cpu", or "cuda[:N]" (--device of every job that takes a model).
    QString device() const;
    void setDevice(const QString& device);
    void setModelSpec(const ModelSpec& spec);
    void setDataSpec(const DataSpec& spec);
    /// Shows `path` as the weights file with `note` (its format, or empty to clear).
    void setWeightsFile(const QString& path, const QString& note);

Q_SIGNALS:
    /// The architecture or its input options changed (the layer table must be rebuilt).
    void modelChanged();
    /// The user asked for the open-weights dialog.
    void openWeightsRequested();

private:
    QComboBox* arch_;
    QDoubleSpinBox* width_;
    QSpinBox* classes_;
    QSpinBox* channels_;
    QSpinBox* inputSize_;
    QComboBox* device_;
    QComboBox* dataset_;
    QLineEdit* dataDir_;
    QSpinBox* subset_;
    QSpinBox* testSubset_;
    QLineEdit* weights_;
    QLabel* weightsNote_;
    bool quiet_ = false;
};

} // namespace ranklab::ui
