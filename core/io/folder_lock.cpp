#include "core/io/folder_lock.h"

#include <mutex>
#include <set>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QRegularExpression>

#include "core/error.h"

namespace ranklab::io {
namespace {
std::mutex& heldMutex()
{
    static std::mutex m;
    return m;
}
std::set<QString>& heldFolders()
{
    static std::set<QString> held;
    return held;
}
} // namespace

QString FolderLock::fileName()
{
    return QStringLiteral(".ranklab.lock");
}

FolderLock::FolderLock(const QString& dir)
{
    dir_ = dir;
    created_ = !QFileInfo::exists(dir);
    if (!QDir().mkpath(dir))
        throw Error(QStringLiteral("cannot write to %1: the folder cannot be created.").arg(dir));
    key_ = QFileInfo(dir).canonicalFilePath();
    {
        std::lock_guard<std::mutex> guard(heldMutex());
        if (!heldFolders().insert(key_).second)
            throw Error(QStringLiteral("%1 is in use by another job of this program; wait for it to finish or choose "
                                       "another --out.")
                            .arg(dir));
    }
    lock_ = std::make_unique<QLockFile>(QDir(dir).filePath(fileName()));
    // Never stale by age: a run may hold its folder for days. Stale only when its process is gone.
    lock_->setStaleLockTime(0);
    if (lock_->tryLock(0)) {
        removeOrphanedTemporaries();
        return;
    }
    const QLockFile::LockError error = lock_->error();
    qint64 pid = 0;
    QString host, app;
    const bool known = lock_->getLockInfo(&pid, &host, &app);
    {
        std::lock_guard<std::mutex> guard(heldMutex());
        heldFolders().erase(key_);
    }
    if (error == QLockFile::LockFailedError && known)
        throw Error(QStringLiteral("%1 is in use by %2 (PID %3 on %4); wait for it to finish or choose another --out.")
                        .arg(dir, app.isEmpty() ? QStringLiteral("another process") : app)
                        .arg(pid)
                        .arg(host));
    if (error == QLockFile::LockFailedError)
        throw Error(QStringLiteral("%1 is in use by another process; wait for it to finish or choose another --out.")
                        .arg(dir));
    if (created_)
        QDir().rmdir(dir);
    throw Error(QStringLiteral("cannot write to %1: %2.")
                    .arg(dir, error == QLockFile::PermissionError ? QStringLiteral("permission denied")
                                                                  : QStringLiteral("its lock file cannot be created")));
}

void FolderLock::removeOrphanedTemporaries() const
{
    // writeFileAtomic's temporary files (".NAME.PID-N.tmp") that a killed writer left behind: with the lock
    // held nobody else writes here, so none of them can still be in use.
    static const QRegularExpression pattern(QStringLiteral("^\\..+\\.\\d+-\\d+\\.tmp$"));
    const QDir folder(dir_);
    for (const QString& name : folder.entryList(QDir::Files | QDir::Hidden))
        if (pattern.match(name).hasMatch())
            QFile::remove(folder.filePath(name));
}

FolderLock::~FolderLock()
{
    if (lock_)
        lock_->unlock();
    // A folder made only to be locked (the job then refused its options) is not left behind.
    if (created_)
        QDir().rmdir(dir_);
    std::lock_guard<std::mutex> guard(heldMutex());
    heldFolders().erase(key_);
}

} // namespace ranklab::io
