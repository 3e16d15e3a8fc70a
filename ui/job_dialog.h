#pragma once

#include <QDialog>

class QFormLayout;
class QLabel;

namespace ranklab::ui {

/// The frame of every job dialog: a title line, a form, a red one-sentence error line and Start/Cancel.
/// Start keeps the dialog open while validate() names a problem.
class JobDialog : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobDialog)
public:
    JobDialog(const QString& title, const QString& subtitle, QWidget* parent = nullptr);
    /// One sentence naming the first problem with the form's values, or empty when the job can start.
    virtual QString validate() const = 0;
    void accept() override;

protected:
    QFormLayout* form() const { return form_; }
    /// Clears the error line (connect edits to it).
    void clearError();

private:
    QFormLayout* form_;
    QLabel* error_;
};

} // namespace ranklab::ui
