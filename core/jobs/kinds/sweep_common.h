#pragma once
// Internal to core/jobs/kinds: what the layer-search kinds (sweep, groups, proxy-sweep, pareto) share —
// the sensitivity table, the warnings about a sweep's left-out entries.
// Torch-free.

#include "core/basis/basis_spec.h"
#include "core/error.h"
#include "core/jobs/job_kind.h"
#include "core/search/sweep_result.h"

namespace ranklab::kinds {

/// Calls `f`, turning a ranklab::Error into an OptionError (exit 2 in the CLI): for option values that
/// core's parsers judge.
template <typename F>
auto asOption(F&& f) -> decltype(f())
{
    try {
        return f();
    } catch (const OptionError&) {
        throw;
    } catch (const Error& e) {
        throw OptionError(QString::fromUtf8(e.what()));
    }
}

/// A folder holding a sweep continues only with --resume (Error otherwise).
void checkSweepResume(const Params& params, const QString& out);

/// One warning per entry left out as unreadable, and one for the entries with no finished run.
void warnProblems(JobContext& context, const search::SweepResult& result);

/// The sensitivity table as `sweep`, `groups` and `proxy-sweep` print it (ends with a newline).
QString sensitivityTable(const search::SweepResult& result);

} // namespace ranklab::kinds
