#pragma once

#include <QWidget>

#include "core/train/train_params.h"

class QDoubleSpinBox;
class QSpinBox;

namespace ranklab::ui {

/// The training schedule every training job shares: epochs, learning rate, batch size and seed.
class ScheduleEditor final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScheduleEditor)
public:
    /// Starts from `base`'s values.
    explicit ScheduleEditor(const TrainParams& base, QWidget* parent = nullptr);
    /// `base` with the edited epochs, learning rate, batch size and seed.
    TrainParams apply(TrainParams base) const;
    int epochs() const;

Q_SIGNALS:
    void epochsChanged(int epochs);

private:
    QSpinBox* epochs_;
    QDoubleSpinBox* lr_;
    QSpinBox* batch_;
    QSpinBox* seed_;
};

} // namespace ranklab::ui
