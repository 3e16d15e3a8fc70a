#pragma once
// Internal header (torch types): not for ui/.

#include <torch/torch.h>

#include <QString>

namespace ranklab::data {

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions N × H × W), gzip-compressed or
/// raw (zlib reads both). Returns uint8 N × 1 × H × W, contiguous, pixel values as stored (0..255).
/// Throws ranklab::Error naming the file if it is missing, not gzip/IDX, has a wrong magic number or a
/// payload that is shorter or longer than its header says.
torch::Tensor readIdxImages(const QString& path);

/// Reads an IDX label file (magic 0x00000801: unsigned bytes, 1 dimension N), gzip-compressed or raw.
/// Returns int64 N, contiguous. Same checks and errors as readIdxImages.
torch::Tensor readIdxLabels(const QString& path);

/// One split read from an IDX image file and its label file.
struct IdxSplit {
    torch::Tensor images; ///< uint8 N × 1 × H × W
    torch::Tensor labels; ///< int64 N
};

/// readIdxImages + readIdxLabels, plus a check that both files hold the same number of samples (the
/// error names both files).
IdxSplit readIdxSplit(const QString& imagesPath, const QString& labelsPath);

/// The path of an IDX file in `dir` by its base name ("train-images-idx3-ubyte"): the ".gz" file if it
/// exists, otherwise the raw file, otherwise the same two with the mirrors' spelling
/// "train-images.idx3-ubyte"; if none exists, the ".gz" name (so the error names what was looked for).
QString findIdxFile(const QString& dir, const QString& baseName);

} // namespace ranklab::data
