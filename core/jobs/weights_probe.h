#pragma once
// Public header (torch-free): can a weights file be loaded into a zoo model? For the GUI's model panel.

#include <QString>

#include "core/models/model_spec.h"

namespace ranklab {

/// Reads `path` (RankLab checkpoint, PyTorch state dict or TorchScript archive) and loads it into a freshly
/// built `spec` model with io::loadWeights, exactly as a job's init weights will be loaded. Returns the file's
/// format name ("PyTorch state dict", …); throws ranklab::Error with io::loadStateDict's one sentence
/// when the file is unreadable or does not fit the model.
QString probeWeights(const ModelSpec& spec, const QString& path);

} // namespace ranklab
