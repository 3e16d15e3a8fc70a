#pragma once

#include <QGroupBox>

#include "core/cluster/slurm.h"
#include "core/jobs/params.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ranklab::ui {

/// "Run on: this computer / this computer, a process per run / Slurm cluster" in the dialogs of kinds whose units
/// can run elsewhere (sweep, groups): the cluster's options (partition, account, QoS, time limit, CPUs, memory, GPUs, #SBATCH lines,
/// ranklab-cli on the nodes, units at once) and a "Test connection" button (sinfo, off the GUI thread). The
/// choice and the options are remembered (QSettings "cluster/…") from one dialog to the next.
class RunOnBox final : public QGroupBox {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunOnBox)
public:
    /// Starts from the remembered choice and options.
    explicit RunOnBox(QWidget* parent = nullptr);

    /// "local", "processes" or "slurm" (--executor).
    QString executor() const;
    void setExecutor(const QString& executor);
    bool onCluster() const;
    void setOnCluster(bool cluster);
    cluster::SlurmOptions options() const;
    void setOptions(const cluster::SlurmOptions& options);
    /// Takes executor and the cluster options from a parameter file or a re-run's job.json.
    void load(const Params& params);
    /// Writes --executor and, on the cluster, its options and --wait (the GUI follows the units) into `params`.
    void apply(Params& params) const;
    /// One sentence naming a malformed option (cluster::checkSlurmOptions), or empty.
    QString validate() const;
    /// Remembers the choice and the options for the next dialog.
    void remember() const;
    /// Runs sinfo in the background; the result lands in the line under the button and in connectionTested.
    void testConnection();
    QLabel* connectionResult() const { return result_; }

Q_SIGNALS:
    void edited();
    void connectionTested(bool ok, const QString& text);

private:
    void updateEnabled();

    QComboBox* where_;
    QWidget* fields_;
    QLineEdit *partition_, *account_, *qos_, *time_, *mem_, *gres_, *cli_, *lines_;
    QSpinBox *cpus_, *maxConcurrent_;
    QPushButton* test_;
    QLabel* result_;
};

} // namespace ranklab::ui
