#pragma once

// Internal header (uses torch types): RankLab's own checkpoint file (.rlk).

#include <QJsonObject>
#include <QString>

#include "core/io/weights.h"

namespace ranklab::io {

/// What a RankLab checkpoint holds: model weights, optimizer state flattened to named tensors (the
/// trainer chooses the names) and free-form metadata (epoch, params, metrics, ...).
struct Checkpoint {
    StateDict model;
    StateDict optimizer;
    QJsonObject meta;
};

/// The checkpoint format version writeCheckpoint writes and readCheckpoint accepts (at most).
constexpr int kCheckpointFormat = 1;

/// Writes `checkpoint` atomically (writeFileAtomic) as torch::pickle_save of a dict
/// {"ranklab_format": 1, "model": {name: tensor}, "optimizer": {name: tensor}, "meta": "<compact JSON>"}.
/// The file is a standard PyTorch zip archive: Python's torch.load reads it as a dict, and readStateDict
/// recognises it (WeightsFormat::RankLab) and returns its "model". Tensors are stored on the CPU.
/// Throws ranklab::Error if it cannot be written.
void writeCheckpoint(const QString& path, const Checkpoint& checkpoint);

/// Reads a file written by writeCheckpoint, names and order preserved. Throws ranklab::Error with one
/// sentence if the file is missing, damaged, not a RankLab checkpoint, or from a newer format version.
Checkpoint readCheckpoint(const QString& path);

} // namespace ranklab::io
