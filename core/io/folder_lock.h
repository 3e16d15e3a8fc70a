#pragma once
// Torch-free: an advisory lock on a run or sweep folder, held for the run's life.

#include <memory>

#include <QString>

class QLockFile;

namespace ranklab::io {

/// Locks `dir` by the file `dir/.ranklab.lock` (QLockFile: PID, host and program inside) for the lifetime
/// of this object, so that two writers — two CLI processes, two GUI jobs, a GUI job and a cluster unit —
/// can never share one run folder. A lock left by a process that died (kill -9, a crash, a power cut) is
/// recognised as stale by its PID on this host and taken over; a lock from another host is never assumed
/// stale (its PID cannot be checked from here), and the message names that host so the user can decide.
/// Within one process a folder is locked at most once: a second FolderLock on it is refused too.
/// A folder the lock had to create is removed on release if nothing else was written into it. Taking the
/// lock removes temporary files that a killed writer left in the folder.
class FolderLock final {
public:
    /// Throws ranklab::Error with one sentence ("… is in use by ranklab-cli (PID 123 on host); wait for it
    /// to finish or choose another --out.") if another holder has the folder. Creates `dir` if needed.
    explicit FolderLock(const QString& dir);
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

    /// The lock file's name inside a folder (".ranklab.lock"); readers of run folders skip it.
    static QString fileName();

private:
    /// Removes the temporary files of writes a killed process never finished (called once the lock is held).
    void removeOrphanedTemporaries() const;

    QString dir_;
    QString key_;
    bool created_ = false; ///< the folder did not exist: removed again on release if still empty
    std::unique_ptr<QLockFile> lock_;
};

} // namespace ranklab::io
