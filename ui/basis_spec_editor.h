#pragma once

#include <QWidget>

#include "core/basis/basis_spec.h"
#include "core/models/registry.h"

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace ranklab::ui {

/// The basis-convolution options every basis job shares (paper A §3.1): size (a fraction of C_out or a
/// filter count), β for the pair form, form and initialisation.
class BasisSpecEditor final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BasisSpecEditor)
public:
    explicit BasisSpecEditor(QWidget* parent = nullptr);
    /// The spec as shown; an unreadable size gives size −1 (validate() names it).
    basis::BasisSpec spec() const;

    /// One sentence naming the first problem of running basis convolutions with this spec on the layers
    /// `selection` of `info` (empty selection, unknown layer, a layer that is not a Conv2d, a size the
    /// layer cannot realise), or empty when all is well.
    QString validate(const ModelInfo& info, const QString& selection) const;

Q_SIGNALS:
    void edited();

private:
    QLineEdit* size_;
    QDoubleSpinBox* beta_;
    QComboBox* form_;
    QComboBox* init_;
};

} // namespace ranklab::ui
