#pragma once
// The parameter groups every kind shares — model, data, trainer, run folder — declared once here and used
// by every kind's schema, the CLI, the GUI's forms and the model panel. Torch-free.

#include "core/data/data_spec.h"
#include "core/jobs/params.h"
#include "core/models/model_spec.h"
#include "core/train/train_params.h"

namespace ranklab {

/// --model, --num-classes, --in-channels, --input-size, --width (group "model"). With `sizeFromData`,
/// unset channels/size come from the data (training kinds); otherwise from the architecture.
void addModelParams(ParamSchema& schema, bool sizeFromData);
ModelSpec modelSpecFrom(const Params& params, bool sizeFromData);
/// The options that give `spec` (the inverse of modelSpecFrom; for the GUI's model panel).
void setModelParams(Params& params, const ModelSpec& spec);

/// --dataset, --data-dir, --subset, --test-subset, --mean, --std, --resize, --augment, --crop-padding.
void addDataParams(ParamSchema& schema);
DataSpec dataSpecFrom(const Params& params);
void setDataParams(Params& params, const DataSpec& data);
/// The data sets --dataset knows, and the channels and image size of the built-in ones (0: from the files).
QStringList datasetNames();
int datasetChannels(const QString& name);
int datasetImageSize(const QString& name);

/// The trainer options shared by every training kind (epochs, batch, SGD, schedule, seed, threads,
/// --init-weights) plus --resume, --out, --quiet, --json.
void addTrainerParams(ParamSchema& schema);
TrainParams trainParamsFrom(const Params& params);
/// Sets the trainer, model and data options that give `train` (GUI prefill, tests).
void setTrainParams(Params& params, const TrainParams& train);

/// --quiet and --json (presentation only: not stored in job.json).
void addOutputParams(ParamSchema& schema, bool quiet = true);

} // namespace ranklab
