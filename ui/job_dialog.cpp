#include "ui/job_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "ui/run_on_box.h"

namespace ranklab::ui {

JobDialog::JobDialog(const QString& title, const QString& subtitle, QWidget* parent) : QDialog(parent)
{
    setWindowTitle(title);
    form_ = new QFormLayout;
    error_ = new QLabel(this);
    error_->setStyleSheet(QStringLiteral("color: #b00020"));
    error_->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Start"));
    connect(buttons, &QDialogButtonBox::accepted, this, &JobDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &JobDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(subtitle, this));
    layout->addLayout(form_);
    layout->addWidget(error_);
    layout->addWidget(buttons);
}

void JobDialog::addRunOn()
{
    runOn_ = new RunOnBox(this);
    form_->addRow(runOn_);
    connect(runOn_, &RunOnBox::edited, this, &JobDialog::clearError);
    connect(this, &QDialog::accepted, runOn_, &RunOnBox::remember);
}

Params JobDialog::withRunOn(Params options) const
{
    if (runOn_)
        runOn_->apply(options);
    return options;
}

void JobDialog::accept()
{
    QString problem = runOn_ ? runOn_->validate() : QString();
    if (problem.isEmpty())
        problem = validate();
    if (!problem.isEmpty()) {
        error_->setText(problem);
        return;
    }
    QDialog::accept();
}

void JobDialog::clearError()
{
    error_->clear();
}

} // namespace ranklab::ui
