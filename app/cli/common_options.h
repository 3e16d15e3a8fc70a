#pragma once

#include <QJsonObject>

#include "app/cli/cli_args.h"
#include "core/data/data_spec.h"
#include "core/models/model_spec.h"
#include "core/train/train_params.h"

namespace ranklab::cli {

/// --model, --num-classes, --in-channels, --input-size, --width.
void addModelOptions(ArgParser& parser, bool sizeFromData);
/// The model options; with `sizeFromData`, unset channels/size stay 0 (taken from the data later),
/// otherwise they default to the architecture's natural input (defaultModelSpec).
ModelSpec modelSpecFrom(const ArgParser& parser, bool sizeFromData);

/// --dataset, --data-dir, --subset, --test-subset, --mean, --std, --resize, --augment, --crop-padding.
void addDataOptions(ArgParser& parser);
DataSpec dataSpecFrom(const ArgParser& parser);

/// The trainer options shared by every training command (epochs, batch, SGD, schedule, seed, threads…).
void addTrainerOptions(ArgParser& parser);
TrainParams trainParamsFrom(const ArgParser& parser);

/// Prints progress to stderr: a self-updating line on a terminal, a line every 10 % otherwise.
class ProgressPrinter final {
public:
    explicit ProgressPrinter(bool quiet = false);
    TrainCallbacks callbacks();

private:
    bool quiet_, tty_;
    int lastDecile_ = -1;
};

/// Writes `object` as one compact JSON line on stdout.
void printJsonLine(const QJsonObject& object);
/// "1h02m", "3m05s", "12s".
QString formatDuration(double seconds);

} // namespace ranklab::cli
