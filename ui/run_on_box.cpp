#include "ui/run_on_box.h"

#include <QComboBox>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/error.h"
#include "core/jobs/kinds/typed_options.h"

namespace ranklab::ui {

namespace {
const QString kGroup = QStringLiteral("cluster/");

QLineEdit* lineEdit(QWidget* parent, const QString& name, const QString& placeholder, const QString& tip)
{
    auto* e = new QLineEdit(parent);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    e->setToolTip(tip);
    return e;
}

struct Probe {
    bool ok = false;
    QString text;
};
} // namespace

RunOnBox::RunOnBox(QWidget* parent) : QGroupBox(tr("Run on"), parent)
{
    setObjectName(QStringLiteral("run-on"));
    where_ = new QComboBox(this);
    where_->setObjectName(QStringLiteral("executor"));
    where_->addItem(tr("This computer"), QStringLiteral("local"));
    where_->addItem(tr("This computer, a process per run"), QStringLiteral("processes"));
    where_->addItem(tr("Slurm cluster"), QStringLiteral("slurm"));
    where_->setToolTip(tr("This computer: the runs train in this program. A process per run: each run (one seed of the baseline or "
                          "of an entry) is a ranklab-cli process of its own, Workers at once, so a crash ends only that run. Slurm "
                          "cluster: every run is a task of one sbatch job array; the workspace must be on storage the nodes see."));
    fields_ = new QWidget(this);
    auto* form = new QFormLayout(fields_);
    form->setContentsMargins(0, 0, 0, 0);
    partition_ = lineEdit(fields_, QStringLiteral("partition"), tr("the cluster's default"), tr("--partition"));
    account_ = lineEdit(fields_, QStringLiteral("account"), tr("none"), tr("--account to charge"));
    qos_ = lineEdit(fields_, QStringLiteral("qos"), tr("none"), tr("--qos"));
    time_ = lineEdit(fields_, QStringLiteral("time"), tr("the partition's, e.g. 02:00:00"),
                     tr("Time limit per run (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS); a run it stops is resumable"));
    mem_ = lineEdit(fields_, QStringLiteral("mem"), tr("the cluster's default, e.g. 4G"), tr("--mem per run"));
    gres_ = lineEdit(fields_, QStringLiteral("gres"), tr("none, e.g. gpu:1"), tr("--gres per run (GPUs)"));
    cli_ = lineEdit(fields_, QStringLiteral("cli-path"), tr("this machine's ranklab-cli"), tr("ranklab-cli as the nodes see it"));
    lines_ = lineEdit(fields_, QStringLiteral("sbatch-line"), tr("none, e.g. --constraint=avx2; --exclusive"),
                      tr("More #SBATCH directives, separated by ';'"));
    cpus_ = new QSpinBox(fields_);
    cpus_->setObjectName(QStringLiteral("cpus-per-task"));
    cpus_->setRange(1, 4096);
    cpus_->setToolTip(tr("CPUs per run (its intra-op threads)"));
    maxConcurrent_ = new QSpinBox(fields_);
    maxConcurrent_->setObjectName(QStringLiteral("max-concurrent"));
    maxConcurrent_->setRange(0, 100000);
    maxConcurrent_->setSpecialValueText(tr("no limit"));
    maxConcurrent_->setToolTip(tr("Runs on the cluster at once (K of --array=0-N%K)"));
    test_ = new QPushButton(tr("Test connection"), fields_);
    test_->setToolTip(tr("Runs sinfo: the partitions and their nodes, or why the cluster cannot be reached"));
    result_ = new QLabel(fields_);
    result_->setObjectName(QStringLiteral("connection-result"));
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Partition"), partition_);
    form->addRow(tr("Account"), account_);
    form->addRow(tr("QoS"), qos_);
    form->addRow(tr("Time limit"), time_);
    form->addRow(tr("CPUs per run"), cpus_);
    form->addRow(tr("Memory per run"), mem_);
    form->addRow(tr("GPUs (gres)"), gres_);
    form->addRow(tr("Runs at once"), maxConcurrent_);
    form->addRow(tr("ranklab-cli on nodes"), cli_);
    form->addRow(tr("#SBATCH lines"), lines_);
    auto* testRow = new QHBoxLayout;
    testRow->addWidget(test_);
    testRow->addWidget(result_, 1);
    form->addRow(testRow);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(where_);
    layout->addWidget(fields_);

    QSettings s;
    setExecutor(s.value(kGroup + QStringLiteral("runOn")).toString());
    setOptions(cluster::slurmOptionsFromJson(QJsonObject::fromVariantMap(s.value(kGroup + QStringLiteral("options")).toMap())));

    connect(where_, &QComboBox::currentIndexChanged, this, [this] {
        updateEnabled();
        Q_EMIT edited();
    });
    for (QLineEdit* e : {partition_, account_, qos_, time_, mem_, gres_, cli_, lines_})
        connect(e, &QLineEdit::textEdited, this, &RunOnBox::edited);
    for (QSpinBox* b : {cpus_, maxConcurrent_})
        connect(b, &QSpinBox::valueChanged, this, &RunOnBox::edited);
    connect(test_, &QPushButton::clicked, this, &RunOnBox::testConnection);
    updateEnabled();
}

QString RunOnBox::executor() const
{
    return where_->currentData().toString();
}

void RunOnBox::setExecutor(const QString& executor)
{
    where_->setCurrentIndex(std::max(0, where_->findData(executor)));
    updateEnabled();
}

bool RunOnBox::onCluster() const
{
    return executor() == QLatin1String("slurm");
}

void RunOnBox::setOnCluster(bool cluster)
{
    setExecutor(cluster ? QStringLiteral("slurm") : QStringLiteral("local"));
}

cluster::SlurmOptions RunOnBox::options() const
{
    cluster::SlurmOptions o;
    o.partition = partition_->text().trimmed();
    o.account = account_->text().trimmed();
    o.qos = qos_->text().trimmed();
    o.time = time_->text().trimmed();
    o.cpusPerTask = cpus_->value();
    o.mem = mem_->text().trimmed();
    o.gres = gres_->text().trimmed();
    o.extraLines = lines_->text().split(QRegularExpression(QStringLiteral("\\s*;\\s*")), Qt::SkipEmptyParts);
    o.cli = cli_->text().trimmed();
    o.maxConcurrent = maxConcurrent_->value();
    return o;
}

void RunOnBox::setOptions(const cluster::SlurmOptions& o)
{
    partition_->setText(o.partition);
    account_->setText(o.account);
    qos_->setText(o.qos);
    time_->setText(o.time);
    cpus_->setValue(o.cpusPerTask);
    mem_->setText(o.mem);
    gres_->setText(o.gres);
    lines_->setText(o.extraLines.join(QStringLiteral("; ")));
    cli_->setText(o.cli);
    maxConcurrent_->setValue(o.maxConcurrent);
}

void RunOnBox::load(const Params& p)
{
    if (!p.isSet(QStringLiteral("executor")))
        return;
    setExecutor(p.value(QStringLiteral("executor")));
    if (onCluster())
        setOptions(kinds::slurmOptionsOf(p));
}

void RunOnBox::apply(Params& p) const
{
    p.set(QStringLiteral("executor"), executor());
    if (!onCluster())
        return;
    kinds::setSlurmOptions(p, options());
    p.set(QStringLiteral("wait"), QStringLiteral("1"));
}

QString RunOnBox::validate() const
{
    if (!onCluster())
        return {};
    try {
        cluster::checkSlurmOptions(options());
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

void RunOnBox::remember() const
{
    QSettings s;
    s.setValue(kGroup + QStringLiteral("runOn"), executor());
    s.setValue(kGroup + QStringLiteral("options"), cluster::toJson(options()).toVariantMap());
}

void RunOnBox::testConnection()
{
    test_->setEnabled(false);
    result_->setText(tr("asking sinfo…"));
    auto* watcher = new QFutureWatcher<Probe>(this);
    connect(watcher, &QFutureWatcher<Probe>::finished, this, [this, watcher] {
        const Probe probe = watcher->result();
        watcher->deleteLater();
        test_->setEnabled(true);
        result_->setStyleSheet(probe.ok ? QString() : QStringLiteral("color: #b00020"));
        result_->setText(probe.text);
        Q_EMIT connectionTested(probe.ok, probe.text);
    });
    watcher->setFuture(QtConcurrent::run([]() -> Probe {
        try {
            return {true, cluster::testConnection()};
        } catch (const Error& e) {
            return {false, QString::fromUtf8(e.what())};
        }
    }));
}

void RunOnBox::updateEnabled()
{
    fields_->setVisible(onCluster());
}

} // namespace ranklab::ui
