#pragma once

#include <QString>
#include <QStringList>

#include "core/models/model_spec.h"

namespace ranklab::io {

/// `ranklab-cli export`: loads `weightsPath` (any supported format) into the zoo model `spec` — so a file of
/// another architecture is refused with the list of differences — and writes a PyTorch state dict that
/// Python's torch.load reads and torchvision's load_state_dict(strict=True) accepts. Atomic write. Returns what
/// loading did to make the file fit (LoadedWeights::notes), for the log.
QStringList exportWeights(const ModelSpec& spec, const QString& weightsPath, const QString& outPath);

} // namespace ranklab::io
