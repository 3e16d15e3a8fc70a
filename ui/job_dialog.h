#pragma once

#include <QDialog>

#include "core/jobs/params.h"

class QFormLayout;
class QLabel;

namespace ranklab::ui {

class RunOnBox;

/// The frame of every job dialog: a title line, a form, a red one-sentence error line and Start/Cancel.
/// Start keeps the dialog open while validate() names a problem. A job that can run elsewhere ends its form with
/// "Run on" (addRunOn): this computer, a process per run, or a Slurm cluster.
class JobDialog : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobDialog)
public:
    JobDialog(const QString& title, const QString& subtitle, QWidget* parent = nullptr);
    /// One sentence naming the first problem with the form's values, or empty when the job can start.
    virtual QString validate() const = 0;
    void accept() override;
    /// "Run on", or nullptr for a dialog without it.
    RunOnBox* runOn() const { return runOn_; }
    /// `options` (the dialog's job as options) with where it runs: --executor and the cluster's options.
    Params withRunOn(Params options) const;

protected:
    /// Adds "Run on" at the end of the form; its choice is remembered when the dialog is accepted.
    void addRunOn();
    QFormLayout* form() const { return form_; }
    /// Clears the error line (connect edits to it).
    void clearError();

private:
    QFormLayout* form_;
    QLabel* error_;
    RunOnBox* runOn_ = nullptr;
};

} // namespace ranklab::ui
