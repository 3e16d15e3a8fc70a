#pragma once
// Public header (torch-free): the units an executor runs for a run folder. A sweep's folder (sweep.json) has the
// sweep's units (search::sweepUnits); any other job's folder (job.json) is one unit, the whole job, which the jobs
// room describes (it knows each kind's completion files) through the function it registers here.

#include <functional>

#include "core/search/sweep.h"

namespace ranklab::cluster {

/// The units of the run folder `dir`: its sweep's, else its job as one unit. Throws Error when the folder holds
/// neither a sweep nor a job.
QVector<search::SweepUnit> folderUnits(const QString& dir);

/// The whole job of a run folder as one unit (id 0, run folder "."), done when the job has finished there.
using JobUnitFunction = std::function<search::SweepUnit(const QString& dir)>;
/// Called once by registerBuiltinKinds().
void registerJobUnit(JobUnitFunction unit);

} // namespace ranklab::cluster
