#pragma once
// Internal header (torch types): not for ui/.

#include <torch/torch.h>

#include <QString>
#include <QStringList>

#include "core/data/dataset.h"

namespace ranklab::data {

/// Bytes of one CIFAR-10 binary record: 1 label byte, then 32×32 red, green and blue planes.
constexpr int64_t kCifarRecordBytes = 1 + 3 * 32 * 32;
/// Records in each batch file of the official CIFAR-10 binary release.
constexpr int64_t kCifarRecordsPerBatch = 10000;

/// The standard CIFAR-10 class names, in label order (airplane … truck).
QStringList cifar10ClassNames();

/// Reads one CIFAR-10 binary batch file: images uint8 N × 3 × 32 × 32 and labels int64 N (classNames
/// left empty). Throws ranklab::Error naming the file if it is missing, empty or not a whole number of
/// 3073-byte records (a truncated batch).
TensorDataset readCifarBatch(const QString& path);

/// The folder that holds the batch files: `dir` itself, or `dir`/cifar-10-batches-bin. Throws
/// ranklab::Error if neither holds test_batch.bin or data_batch_1.bin.
QString findCifarBatchDir(const QString& dir);

/// The training (data_batch_1.bin … data_batch_5.bin) and test (test_batch.bin) splits of a CIFAR-10
/// binary folder (see findCifarBatchDir).
struct CifarSplits {
    TensorDataset train;
    TensorDataset test;
};

/// Reads a CIFAR-10 binary folder. Training batches are data_batch_1.bin, data_batch_2.bin, … without
/// gaps; when all five are present (the official release) every batch must hold exactly 10000 records.
/// Class names come from batches.meta.txt when present, else cifar10ClassNames(); labels must index them.
/// Throws ranklab::Error with one sentence naming the file and the problem.
CifarSplits readCifar10(const QString& dir);

} // namespace ranklab::data
