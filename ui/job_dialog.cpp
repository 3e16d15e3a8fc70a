#include "ui/job_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

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

void JobDialog::accept()
{
    const QString problem = validate();
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
