#pragma once

#include <QHash>

#include "core/jobs/job_kind.h"
#include "ui/job_dialog.h"

class QWidget;

namespace ranklab::ui {

/// The form of any job kind, built from its parameter schema (core/jobs/params.h): a line edit, check
/// box or list per parameter, grouped as --help groups them, with the declared default as placeholder
/// and the help text as tooltip. Start checks the values with the schema (the CLI's sentences). The run
/// folder, --resume and presentation options are left out: the workspace gives the folder. A kind whose units
/// can run on a cluster (an "executor" parameter) shows "Run on" (RunOnBox) instead of its cluster options.
class KindDialog final : public JobDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KindDialog)
public:
    /// `prefill`: values to show (model panel, checked layers, weights); the rest show their defaults.
    KindDialog(const JobKind& kind, const Params& prefill, QWidget* parent = nullptr);

    /// The form's values (only fields that differ from empty are set).
    Params params() const;
    QString validate() const override;
    const JobKind& kind() const { return kind_; }
    /// The editor of parameter `name` (QLineEdit, QCheckBox or QComboBox), or nullptr if it has none.
    QWidget* editor(const QString& name) const { return editors_.value(name); }
    /// Sets a field as text (a check box: non-empty and not "0" checks it).
    void setValue(const QString& name, const QString& value);

private:
    const JobKind& kind_;
    QHash<QString, QWidget*> editors_;
};

/// Only the values `kind` declares, taken from `values` (model panel, layers, weights: a kind may lack some).
Params prefilledParams(const JobKind& kind, const QMap<QString, QString>& values);

} // namespace ranklab::ui
