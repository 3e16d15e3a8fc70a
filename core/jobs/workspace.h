#pragma once

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace ranklab {

/// A run folder as the workspace lists it (ARCHITECTURE.md "Workspace on disk").
struct RunEntry {
    QString dir;          ///< absolute path
    QString kind;         ///< from params.json ("train", …)
    bool completed = false; ///< summary.json present
    QJsonObject params;   ///< params.json
    QJsonObject summary;  ///< summary.json, empty if not completed
};

/// A folder of run folders: `<root>/runs/<timestamp>-<kind>-<name>/`. The disk is the source of truth,
/// so reopening a workspace shows every run, finished or interrupted.
class Workspace final {
public:
    explicit Workspace(QString root);
    /// QStandardPaths::AppDataLocation/workspace (created on first use).
    static QString defaultRoot();

    const QString& root() const { return root_; }
    /// Creates and returns a new, unique run folder, e.g. runs/20261123-164501-train-lenet300.
    /// Throws ranklab::Error if it cannot be created.
    QString createRunDir(const QString& kind, const QString& name) const;
    /// Every run folder with a readable params.json, oldest first; unreadable ones are skipped.
    QVector<RunEntry> runs() const;

private:
    QString root_;
};

} // namespace ranklab
