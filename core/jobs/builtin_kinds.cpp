// The one place where RankLab's job kinds are registered (the CLI's commands and the GUI's Jobs menu are
// built from this list, in this order). A new kind: one file in core/jobs/kinds/, one line here.
#include <cstdarg>
#include <cstdio>

#include "core/jobs/kinds/executor_params.h"
#include "core/jobs/kinds/kinds.h"
#include "core/basis/basis_method.h"
#include "core/basis/basis_surgery.h"
#include "core/prune/prune_method.h"
#include "core/ron/student.h"

namespace ranklab {

void registerBuiltinKinds()
{
    // Models whose structure is in their weights file (RON students, basis-conv networks), for evaluation in
    // train/ and export; they bring their TorchScript forwards (io::registerScriptForward).
    ron::registerStudentModels();
    basis::registerBasisModels();
    // The layer methods a training-free sweep can sweep (core/train/layer_method.h), before the kinds that list them.
    basis::registerBasisMethod();
    prune::registerPruneMethod();
    // A run folder's job as one unit of an executor (a child process, a Slurm task).
    kinds::registerJobUnit();
    // Kinds with a run folder run anywhere (kinds::runsAnywhere: --executor local|processes|slurm); sweep and groups
    // split into units of their own.
    JobKinds::add(kinds::infoKind());
    JobKinds::add(kinds::runsAnywhere(kinds::trainKind()));
    JobKinds::add(kinds::evalKind());
    JobKinds::add(kinds::exportKind());
    JobKinds::add(kinds::runsAnywhere(kinds::basisTrainKind()));
    JobKinds::add(kinds::runsAnywhere(kinds::sanityCheckKind()));
    JobKinds::add(kinds::runsAnywhere(kinds::pruneKind()));
    JobKinds::add(kinds::costKind());
    JobKinds::add(kinds::sweepKind());
    JobKinds::add(kinds::groupsKind());
    JobKinds::add(kinds::paretoKind());
    JobKinds::add(kinds::runsAnywhere(kinds::proxySweepKind()));
    JobKinds::add(kinds::runsAnywhere(kinds::spectrumKind()));
    JobKinds::add(kinds::runsAnywhere(kinds::ronKind()));
    JobKinds::add(kinds::sweepUnitKind());
    JobKinds::add(kinds::statusKind());
    JobKinds::add(kinds::cancelKind());
    JobKinds::add(kinds::resubmitKind());
}

QString kinds::formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("?");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

QString kinds::format(const char* pattern, ...)
{
    va_list args;
    va_start(args, pattern);
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, pattern, copy);
    va_end(copy);
    QByteArray buffer(n > 0 ? n : 0, '\0');
    if (n > 0)
        std::vsnprintf(buffer.data(), size_t(n) + 1, pattern, args);
    va_end(args);
    return QString::fromUtf8(buffer);
}

} // namespace ranklab
