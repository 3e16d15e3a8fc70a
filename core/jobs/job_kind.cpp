#include "core/jobs/job_kind.h"

#include <map>
#include <memory>
#include <mutex>

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/param_file.h"

namespace ranklab {

namespace {

struct Registry {
    std::mutex mutex;
    std::vector<std::unique_ptr<JobKind>> kinds;
};

Registry& registry()
{
    static Registry r;
    return r;
}

void ensureRegistered()
{
    static std::once_flag once;
    std::call_once(once, [] { registerBuiltinKinds(); });
}

} // namespace

TrainCallbacks JobContext::trainCallbacks()
{
    TrainCallbacks cb;
    cb.progress = [this](const TrainProgress& p) { progress(p); };
    cb.epochDone = [this](const EpochMetrics& m) { metrics(m); };
    cb.log = [this](const QString& line) { log(line); };
    return cb;
}

void JobKinds::add(JobKind kind)
{
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& k : r.kinds)
        if (k->id == kind.id)
            throw Error(QStringLiteral("the job kind '%1' is registered twice.").arg(kind.id));
    r.kinds.push_back(std::make_unique<JobKind>(std::move(kind)));
}

const JobKind* JobKinds::find(const QString& id)
{
    ensureRegistered();
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& k : r.kinds)
        if (k->id == id)
            return k.get();
    return nullptr;
}

QVector<const JobKind*> JobKinds::all()
{
    ensureRegistered();
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    QVector<const JobKind*> list;
    for (const auto& k : r.kinds)
        list.push_back(k.get());
    return list;
}

QString jobFilePath(const QString& runDir)
{
    return QDir(runDir).filePath(QStringLiteral("job.json"));
}

JobResult runJob(const JobKind& kind, const Params& params, JobContext& context)
{
    params.validate();
    if (kind.schema.find(QStringLiteral("device")))
        checkComputeDevice(params.value(QStringLiteral("device")));
    const QString runDir = kind.runFolderParam.isEmpty() ? QString() : params.value(kind.runFolderParam);
    QByteArray previous;
    bool createdDir = false;
    const QString jobFile = runDir.isEmpty() ? QString() : jobFilePath(runDir);
    if (!jobFile.isEmpty()) {
        createdDir = !QFileInfo::exists(runDir);
        io::ensureWritableDir(runDir);
        QFile old(jobFile);
        if (old.open(QIODevice::ReadOnly))
            previous = old.readAll();
    }
    QJsonObject job = params.toJson({kind.runFolderParam, kind.resumeParam});
    job.insert(QStringLiteral("title"), kind.title);
    if (!jobFile.isEmpty())
        io::writeJsonAtomic(jobFile, job);
    try {
        JobResult result = kind.run(params, context);
        if (result.runDir.isEmpty())
            result.runDir = runDir;
        // Written again once the run is over: a job refused meanwhile (two started into one folder at
        // once) cannot leave its parameters in the folder the winner ran in.
        if (!jobFile.isEmpty())
            io::writeJsonAtomic(jobFile, job);
        return result;
    } catch (...) {
        // A job refused before it wrote anything (bad weights, another job holds the folder, a differing
        // run lives there) leaves the folder as it found it: no job.json of its own, no new empty folder.
        if (!jobFile.isEmpty()) {
            const QDir dir(runDir);
            const QStringList others = dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)
                                           .filter(QRegularExpression(QStringLiteral("^(?!job\\.json$|\\.ranklab\\.lock$)")));
            if (!previous.isEmpty())
                io::writeFileAtomic(jobFile, previous);
            else if (others.isEmpty())
                QFile::remove(jobFile);
            if (createdDir && others.isEmpty())
                QDir().rmdir(runDir);
        }
        throw;
    }
}

Params readJob(const QString& runDir, const QString& newRunDir)
{
    const QString path = jobFilePath(runDir);
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1 holds no job.json, so RankLab does not know how it was run (folders written "
                                   "before job files existed cannot be re-run).")
                        .arg(runDir));
    const ParamFile file = readParamFile(path);
    const JobKind* kind = JobKinds::find(file.command);
    if (!kind)
        throw Error(QStringLiteral("%1 names the job kind '%2', which this RankLab does not know.").arg(path, file.command));
    Params params = kind->params();
    params.merge(file);
    if (!kind->runFolderParam.isEmpty()) {
        params.set(kind->runFolderParam, newRunDir.isEmpty() ? runDir : newRunDir);
        if (!kind->resumeParam.isEmpty()) {
            if (newRunDir.isEmpty())
                params.set(kind->resumeParam, QStringLiteral("1"));
            else
                params.unset(kind->resumeParam);
        }
    }
    return params;
}

} // namespace ranklab
