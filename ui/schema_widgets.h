#pragma once
// Hand-made dialogs take their fields' ranges and defaults from the job kinds' parameter schemas
// (core/jobs/params.h), so the GUI and the CLI cannot disagree (issue 12: one set of defaults and ranges).

class QDoubleSpinBox;
class QSpinBox;
class QString;

namespace ranklab::ui {

/// Range (and, with `withDefault`, value) of parameter `param` of kind `kind`, as declared.
void declareSpin(QSpinBox* spin, const QString& kind, const QString& param, bool withDefault = true);
/// As above; a lower bound below the box's resolution becomes its smallest step.
void declareSpin(QDoubleSpinBox* spin, const QString& kind, const QString& param, bool withDefault = true);

} // namespace ranklab::ui
