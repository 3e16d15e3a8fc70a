#pragma once
// The typed parameter structs of the hand-made GUI dialogs (TrainParams, BasisTrainParams, SweepParams,
// SpectrumParams, RonParams) as the options of their kind: the inverse of each kind's parsing, so a job
// started from a dialog is stored (job.json) and re-run exactly like one started from the CLI. Torch-free.

#include "core/basis/skip_training.h"
#include "core/cluster/slurm.h"
#include "core/jobs/job_kind.h"
#include "core/ron/ron_job.h"
#include "core/search/sweep.h"

namespace ranklab::kinds {

Params trainOptions(const TrainParams& params);
Params basisTrainOptions(const basis::BasisTrainParams& params);
/// A sweep, or (groups set) a group sensitivity.
Params sweepOptions(const search::SweepParams& params);
Params spectrumOptions(const ron::SpectrumParams& params);
Params ronOptions(const ron::RonParams& params);
/// The cluster's options (executor_params: --partition, --time, …) written into `params` (empty fields unset).
void setSlurmOptions(Params& params, const cluster::SlurmOptions& options);
/// The cluster's options as given in `params`, unchecked (slurmOptionsFrom checks them).
cluster::SlurmOptions slurmOptionsOf(const Params& params);

} // namespace ranklab::kinds
