#pragma once

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace ranklab {

/// A run folder as the workspace lists it (ARCHITECTURE.md "Workspace on disk").
struct RunEntry {
    QString dir;          ///< absolute path
    QString kind;         ///< "train", "basis-train", "sweep", "groups", "spectrum", "ron", …
    QString name;         ///< run.json's name (the model name for runs the GUI starts); may be empty
    /// The model the run used: job.json's --model (its default when not given), else params.json's or
    /// sweep.json's model name; empty when the folder names none.
    QString model;
    /// The run's final file is present: summary.json (training kinds), spectrum.json, report.json, or
    /// for sweeps a sensitivity.json with nothing pending.
    bool completed = false;
    QJsonObject params;   ///< params.json (training kinds) or sweep.json; may be empty for other kinds
    QJsonObject summary;  ///< summary.json, empty if absent
    /// job.json is there: the run can be run again (ranklab-cli rerun, the GUI's Re-run).
    bool rerunnable = false;
};

/// A folder of run folders: `<root>/runs/<timestamp>-<kind>-<name>/`. The disk is the source of truth,
/// so reopening a workspace shows every run, finished or interrupted.
class Workspace final {
public:
    explicit Workspace(QString root);
    /// QStandardPaths::AppDataLocation/workspace (created on first use).
    static QString defaultRoot();

    const QString& root() const { return root_; }
    /// Creates and returns a new, unique run folder, e.g. runs/20261123-164501-train-lenet300, holding
    /// run.json {"kind", "name", "created"} so that runs() knows its kind before the job writes anything.
    /// Throws ranklab::Error if it cannot be created.
    QString createRunDir(const QString& kind, const QString& name) const;
    /// Every run folder with a readable params.json, sweep.json or run.json, oldest first; folders with
    /// none of them (or unreadable ones) are skipped.
    QVector<RunEntry> runs() const;

private:
    QString root_;
};

} // namespace ranklab
