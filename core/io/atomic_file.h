#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace ranklab::io {

/// Writes bytes to `path` through a temporary file in the same folder that is flushed to disk (fsync) and
/// renamed over `path` only when complete, so a crash, a full disk or a cancel never leaves a half-written
/// file under the final name (the temporary is removed on failure). Creates missing parent folders.
/// Throws ranklab::Error naming the path and the operating system's reason ("No space left on device").
void writeFileAtomic(const QString& path, const QByteArray& bytes);

/// writeFileAtomic of an indented JSON document.
void writeJsonAtomic(const QString& path, const QJsonObject& object);

/// Reads a JSON object; throws ranklab::Error if the file is missing, not a regular file, larger than
/// `maxBytes` (a run file is kilobytes: a device or a huge file is refused instead of read forever),
/// unreadable, not JSON (naming the parse error and its offset) or JSON but not an object.
QJsonObject readJsonObject(const QString& path, qint64 maxBytes = qint64(64) << 20);

/// The keys whose values differ between two JSON objects, as "lr: 0.1 there, 0.02 now" clauses (nested
/// objects as "params.lr"; a key on one side only as "… absent there" / "absent now"). Empty if equal.
QStringList jsonDifferences(const QJsonObject& there, const QJsonObject& now);

/// Creates `dir` (and parents) if needed and checks that files can be created in it; throws
/// ranklab::Error ("cannot write to DIR: reason") otherwise. Used by every command with --out.
void ensureWritableDir(const QString& dir);

} // namespace ranklab::io
