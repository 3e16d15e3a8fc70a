#pragma once
// Parameter files in the GUI (core/jobs/param_file.h): the form widgets that stand for a ranklab-cli
// option carry its name, so one file fills the model panel and a job dialog exactly as the CLI reads it.

#include <QMap>
#include <QString>
#include <QStringList>

#include "core/data/data_spec.h"
#include "core/models/model_spec.h"

class QWidget;

namespace ranklab::ui {

/// Marks `widget` (QLineEdit, QSpinBox, QDoubleSpinBox or QComboBox) as the editor of the
/// ranklab-cli option `option` ("epochs", "rows-ratio", …).
void tagOption(QWidget* widget, const QString& option);

/// Sets every tagged descendant of `root` whose option `options` holds. Returns the option names used;
/// a value a widget cannot take (not a number, out of its range, not one of its choices) is left out and
/// named in `problems` with one sentence.
QStringList applyWidgetOptions(QWidget* root, const QMap<QString, QString>& options, QStringList* problems);

/// The model and data options (model, width, in-channels, input-size, num-classes, dataset, data-dir,
/// subset, test-subset, resize, augment, crop-padding) applied to `model` and `data`; a new `model`
/// starts from defaultModelSpec() as in the CLI. Returns the option names used; bad values go to
/// `problems`.
QStringList applyModelOptions(const QMap<QString, QString>& options, ModelSpec* model, DataSpec* data, QStringList* problems);

} // namespace ranklab::ui
