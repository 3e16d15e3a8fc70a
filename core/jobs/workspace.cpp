#include "core/jobs/workspace.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QStandardPaths>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/job_kind.h"

namespace ranklab {

Workspace::Workspace(QString root) : root_(QDir(root).absolutePath()) {}

QString Workspace::defaultRoot()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("workspace"));
}

QString Workspace::createRunDir(const QString& kind, const QString& name) const
{
    QString safe = name;
    safe.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    const QDir runs(QDir(root_).filePath(QStringLiteral("runs")));
    io::ensureWritableDir(runs.path());
    const QString stem = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) + QLatin1Char('-') + kind
        + QLatin1Char('-') + safe;
    for (int n = 0; n < 1000; ++n) {
        const QString candidate = runs.filePath(n == 0 ? stem : stem + QStringLiteral("-%1").arg(n + 1));
        if (QFileInfo::exists(candidate))
            continue;
        if (!QDir().mkpath(candidate))
            throw Error(QStringLiteral("cannot create the run folder %1.").arg(candidate));
        io::writeJsonAtomic(QDir(candidate).filePath(QStringLiteral("run.json")),
                            QJsonObject{{QStringLiteral("kind"), kind},
                                        {QStringLiteral("name"), name},
                                        {QStringLiteral("created"), QDateTime::currentDateTime().toString(Qt::ISODate)}});
        return candidate;
    }
    throw Error(QStringLiteral("cannot find a free run folder name under %1.").arg(runs.path()));
}

namespace {
/// The model name of a run: job.json's parameters where there is one (every kind declares --model once, in
/// common_params), else the older params.json ({"params": {"model": {"name"}}}) or sweep.json ({"model": {"name"}}).
QString modelOf(const RunEntry& e, const QJsonObject& job)
{
    if (!job.isEmpty()) {
        try {
            const Params p = readJob(e.dir, e.dir);
            if (p.schema() && p.schema()->find(QStringLiteral("model")))
                return p.value(QStringLiteral("model"));
        } catch (const Error&) {
            // a job.json of another version or kind: fall back to the run's own files
        }
    }
    const QJsonObject params = e.params.value(QStringLiteral("params")).toObject();
    const QJsonObject model = (params.isEmpty() ? e.params : params).value(QStringLiteral("model")).toObject();
    return model.value(QStringLiteral("name")).toString();
}
} // namespace

QVector<RunEntry> Workspace::runs() const
{
    QVector<RunEntry> entries;
    const QDir runs(QDir(root_).filePath(QStringLiteral("runs")));
    for (const QString& name : runs.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const QDir dir(runs.filePath(name));
        RunEntry e;
        e.dir = dir.absolutePath();
        auto has = [&dir](const char* file) { return QFileInfo::exists(dir.filePath(QLatin1String(file))); };
        try {
            if (has("params.json"))
                e.params = io::readJsonObject(dir.filePath(QStringLiteral("params.json")));
            else if (has("sweep.json"))
                e.params = io::readJsonObject(dir.filePath(QStringLiteral("sweep.json")));
            const QJsonObject marker = has("run.json") ? io::readJsonObject(dir.filePath(QStringLiteral("run.json"))) : QJsonObject();
            const QJsonObject job = has("job.json") ? io::readJsonObject(dir.filePath(QStringLiteral("job.json"))) : QJsonObject();
            if (e.params.isEmpty() && marker.isEmpty() && job.isEmpty())
                continue; // not a run folder
            e.kind = e.params.value(QStringLiteral("kind")).toString();
            if (e.kind.isEmpty())
                e.kind = marker.value(QStringLiteral("kind")).toString();
            if (e.kind.isEmpty())
                e.kind = job.value(QStringLiteral("command")).toString();
            e.rerunnable = !job.isEmpty();
            e.model = modelOf(e, job);
            e.name = marker.value(QStringLiteral("name")).toString();
            if (has("summary.json")) {
                e.summary = io::readJsonObject(dir.filePath(QStringLiteral("summary.json")));
                e.completed = true;
            } else if (has("sensitivity.json")) {
                const QJsonObject sens = io::readJsonObject(dir.filePath(QStringLiteral("sensitivity.json")));
                e.completed = sens.value(QStringLiteral("pending")).toArray().isEmpty();
            } else if (const JobKind* kind = JobKinds::find(e.kind); kind && !kind->completionFiles.isEmpty()) {
                for (const QString& f : kind->completionFiles)
                    e.completed = e.completed || QFileInfo::exists(dir.filePath(f));
            } else {
                e.completed = has("spectrum.json") || has("report.json");
            }
        } catch (const Error&) {
            continue; // a folder being created or damaged: not a run
        }
        entries.push_back(e);
    }
    return entries;
}

} // namespace ranklab
