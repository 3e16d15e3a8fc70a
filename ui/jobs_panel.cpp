#include "ui/jobs_panel.h"

#include <cmath>

#include <QDesktopServices>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

#include "core/jobs/job_runner.h"

namespace ranklab::ui {

namespace {
enum Col { ColJob, ColState, ColProgress, ColEta };

QString stateText(Job::State s)
{
    switch (s) {
    case Job::State::Queued: return QObject::tr("queued");
    case Job::State::Running: return QObject::tr("running");
    case Job::State::Finished: return QObject::tr("finished");
    case Job::State::Failed: return QObject::tr("failed");
    case Job::State::Cancelled: return QObject::tr("cancelled");
    }
    return {};
}
} // namespace

JobsPanel::JobsPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner)
{
    tree_ = new QTreeWidget(this);
    tree_->setRootIsDecorated(true);
    tree_->setHeaderLabels({tr("Job"), tr("State"), tr("Progress"), tr("ETA")});
    tree_->header()->setSectionResizeMode(ColJob, QHeaderView::Stretch);
    tree_->header()->setSectionResizeMode(ColProgress, QHeaderView::Fixed);
    tree_->header()->resizeSection(ColProgress, 160);
    tree_->header()->setStretchLastSection(false);
    cancel_ = new QPushButton(tr("Cancel"), this);
    rerun_ = new QPushButton(tr("Re-run"), this);
    open_ = new QPushButton(tr("Open folder"), this);
    resubmit_ = new QPushButton(tr("Resubmit failed"), this);
    resubmit_->setToolTip(tr("Send the selected cluster job's unfinished units (failed, cancelled, timed out) to the cluster again; "
                             "finished ones are kept"));
    resubmit_->setVisible(false);
    cancel_->setToolTip(tr("Stop the selected job at its next batch, or drop it from the queue"));
    rerun_->setToolTip(tr("Queue a new job with the same parameters"));
    open_->setToolTip(tr("Open the selected job's run folder"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(cancel_);
    buttons->addWidget(rerun_);
    buttons->addWidget(open_);
    buttons->addWidget(resubmit_);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(tree_, 1);
    layout->addLayout(buttons);

    connect(runner_, &JobRunner::jobAdded, this, &JobsPanel::addJob);
    connect(runner_, &JobRunner::jobStarted, this, &JobsPanel::updateState);
    connect(runner_, &JobRunner::jobEnded, this, &JobsPanel::updateState);
    connect(tree_, &QTreeWidget::itemSelectionChanged, this, &JobsPanel::updateButtons);
    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (Job* job = selectedJob())
            runner_->cancel(job);
    });
    connect(rerun_, &QPushButton::clicked, this, [this] {
        if (Job* job = selectedJob())
            Q_EMIT rerunRequested(job);
    });
    connect(resubmit_, &QPushButton::clicked, this, [this] {
        if (Job* job = selectedJob())
            Q_EMIT resubmitRequested(job);
    });
    connect(open_, &QPushButton::clicked, this, [this] {
        if (Job* job = selectedJob())
            QDesktopServices::openUrl(QUrl::fromLocalFile(job->runDir()));
    });
    for (Job* job : runner_->jobs())
        addJob(job);
    updateButtons();
}

QString JobsPanel::etaText(double seconds)
{
    if (!(seconds >= 0) || !std::isfinite(seconds))
        return {};
    const qint64 s = qRound64(seconds);
    if (s >= 3600)
        return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 s").arg(s);
}

Job* JobsPanel::selectedJob() const
{
    const auto sel = tree_->selectedItems();
    if (sel.isEmpty())
        return nullptr;
    QTreeWidgetItem* item = sel.first()->parent() ? sel.first()->parent() : sel.first(); // a unit row: its job
    return items_.key(item, nullptr);
}

void JobsPanel::selectJob(Job* job)
{
    if (QTreeWidgetItem* item = items_.value(job))
        tree_->setCurrentItem(item);
}

void JobsPanel::addJob(Job* job)
{
    auto* item = new QTreeWidgetItem(tree_);
    item->setText(ColJob, QStringLiteral("%1 %2").arg(job->kind(), job->title()));
    item->setToolTip(ColJob, job->runDir());
    auto* bar = new QProgressBar(tree_);
    bar->setRange(0, 1000);
    bar->setValue(0);
    bar->setTextVisible(true);
    bar->setFormat(QStringLiteral("%p%"));
    tree_->setItemWidget(item, ColProgress, bar);
    items_.insert(job, item);
    connect(job, &Job::progressChanged, this, [this, job](const TrainProgress& p) { updateProgress(job, p); });
    connect(job, &Job::unitsChanged, this, [this, job](const QJsonObject& states) { updateUnits(job, states); });
    updateState(job);
    tree_->setCurrentItem(item);
}

void JobsPanel::updateState(Job* job)
{
    QTreeWidgetItem* item = items_.value(job);
    if (!item)
        return;
    item->setText(ColState, stateText(job->state()));
    if (job->state() == Job::State::Finished) {
        static_cast<QProgressBar*>(tree_->itemWidget(item, ColProgress))->setValue(1000);
        item->setText(ColEta, QString());
    } else if (job->state() != Job::State::Running && job->state() != Job::State::Queued) {
        item->setText(ColEta, QString());
    }
    updateButtons();
}

void JobsPanel::updateProgress(Job* job, const TrainProgress& p)
{
    QTreeWidgetItem* item = items_.value(job);
    if (!item || job->state() != Job::State::Running)
        return;
    auto* bar = static_cast<QProgressBar*>(tree_->itemWidget(item, ColProgress));
    bar->setValue(int(1000 * std::clamp(p.fraction, 0.0, 1.0)));
    if (!p.phase.isEmpty())
        bar->setFormat(QStringLiteral("%p% · %1").arg(p.phase));
    item->setText(ColEta, etaText(p.etaSeconds));
}

void JobsPanel::updateUnits(Job* job, const QJsonObject& states)
{
    QTreeWidgetItem* item = items_.value(job);
    if (!item)
        return;
    const QJsonArray units = states.value(QStringLiteral("units")).toArray();
    while (item->childCount() > units.size())
        delete item->takeChild(item->childCount() - 1);
    while (item->childCount() < units.size())
        new QTreeWidgetItem(item);
    int done = 0;
    for (int i = 0; i < units.size(); ++i) {
        const QJsonObject u = units.at(i).toObject();
        QTreeWidgetItem* child = item->child(i);
        const QString state = u.value(QStringLiteral("state")).toString();
        done += state == QLatin1String("done");
        child->setText(ColJob, tr("unit %1 · %2").arg(u.value(QStringLiteral("id")).toInt()).arg(u.value(QStringLiteral("label")).toString()));
        child->setToolTip(ColJob, u.value(QStringLiteral("run_dir")).toString());
        const QString slurm = u.value(QStringLiteral("slurm_state")).toString();
        child->setText(ColState, slurm.isEmpty() || slurm.compare(state, Qt::CaseInsensitive) == 0 ? state
                                                                                                    : QStringLiteral("%1 (%2)").arg(state, slurm));
        child->setText(ColProgress, u.value(QStringLiteral("task")).toString());
        const QString reason = u.value(QStringLiteral("reason")).toString();
        const QString log = u.value(QStringLiteral("log")).toString();
        child->setText(ColEta, reason);
        child->setToolTip(ColState, reason.isEmpty() ? log : reason + (log.isEmpty() ? QString() : QStringLiteral("\nlog: ") + log));
        child->setToolTip(ColEta, child->toolTip(ColState));
        child->setForeground(ColState, state == QLatin1String("failed") || state == QLatin1String("cancelled") ? QBrush(Qt::darkRed)
                                                                                                              : QBrush());
    }
    item->setText(ColJob, QStringLiteral("%1 %2 · %3/%4 units").arg(job->kind(), job->title()).arg(done).arg(units.size()));
    updateButtons();
}

void JobsPanel::updateButtons()
{
    Job* job = selectedJob();
    const bool live = job && (job->state() == Job::State::Queued || job->state() == Job::State::Running);
    cancel_->setEnabled(live && !job->cancelRequested());
    rerun_->setEnabled(job != nullptr);
    open_->setEnabled(job && QFileInfo::exists(job->runDir()));
    resubmit_->setVisible(job && job->runsElsewhere());
    resubmit_->setEnabled(job && job->runsElsewhere() && (job->state() == Job::State::Failed || job->state() == Job::State::Cancelled));
}

} // namespace ranklab::ui
