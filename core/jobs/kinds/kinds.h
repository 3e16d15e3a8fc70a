#pragma once
// The kinds RankLab ships, one factory per kind (one file each in this folder). registerBuiltinKinds()
// (builtin_kinds.cpp) is the one place that registers them. Torch-free.

#include "core/jobs/job_kind.h"

namespace ranklab::kinds {

JobKind infoKind();
JobKind trainKind();
JobKind evalKind();
JobKind exportKind();
JobKind basisTrainKind();
JobKind sanityCheckKind();
JobKind pruneKind();
JobKind costKind();
JobKind sweepKind();
JobKind groupsKind();
JobKind paretoKind();
JobKind proxySweepKind();
JobKind spectrumKind();
JobKind ronKind();
JobKind sweepUnitKind();
/// Tells core/cluster what the one unit of a job's run folder is (cluster::registerJobUnit).
void registerJobUnit();
JobKind statusKind();
JobKind cancelKind();
JobKind resubmitKind();

/// "1h02m", "3m05s", "12s" ("?" for a negative time), as ranklab-cli writes durations and ETAs.
QString formatDuration(double seconds);

/// printf-style text for kinds' human-readable results.
QString format(const char* pattern, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

} // namespace ranklab::kinds
