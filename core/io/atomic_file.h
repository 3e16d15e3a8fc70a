#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace ranklab::io {

/// Writes bytes to `path` through a temporary file in the same folder that is renamed over `path` only
/// when complete (QSaveFile), so a crash, a full disk or a cancel never leaves a half-written file under
/// the final name. Creates missing parent folders. Throws ranklab::Error naming the path and the reason.
void writeFileAtomic(const QString& path, const QByteArray& bytes);

/// writeFileAtomic of an indented JSON document.
void writeJsonAtomic(const QString& path, const QJsonObject& object);

/// Reads a JSON object; throws ranklab::Error if the file is missing, unreadable or not a JSON object.
QJsonObject readJsonObject(const QString& path);

/// Creates `dir` (and parents) if needed and checks that files can be created in it; throws
/// ranklab::Error ("cannot write to DIR: reason") otherwise. Used by every command with --out.
void ensureWritableDir(const QString& dir);

} // namespace ranklab::io
