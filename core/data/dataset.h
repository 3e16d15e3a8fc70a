#pragma once
// Internal header (torch types): not for ui/.

#include <cstdint>
#include <torch/torch.h>

#include <QString>
#include <QStringList>

#include "core/data/data_spec.h"

namespace ranklab::data {

/// An in-memory image classification set: the whole split as one uint8 tensor, so batches are gathered
/// with one index_select instead of sample-by-sample copies.
struct TensorDataset {
    torch::Tensor images;   ///< uint8, N × C × H × W, contiguous
    torch::Tensor labels;   ///< int64, N, values in [0, classNames.size())
    QStringList classNames;

    int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    int channels() const { return static_cast<int>(images.size(1)); }
    int height() const { return static_cast<int>(images.size(2)); }
    int width() const { return static_cast<int>(images.size(3)); }
};

/// A data set's two splits, prepared per DataSpec (subset, resize applied), plus the normalisation that
/// the batches use (DataSpec's explicit values, or the training split's per-channel mean/std).
struct DatasetSplits {
    QString name;
    TensorDataset train;
    TensorDataset test;
    TensorDataset val;         ///< DataSpec::valSubset images held out of `train` (empty without one)
    Normalization norm;        ///< one value per *output* channel (after grayscale replication)
    int outChannels = 0;       ///< channels the model sees (DataSpec::channels or native)
};

/// Opens the data set named by spec (see DataSpec::name), checks counts and shapes, and applies
/// subset/resize. Throws ranklab::Error with one sentence on any problem.
DatasetSplits loadDataset(const DataSpec& spec);

/// Iterates one split in mini-batches. Batches are float N × C × H × W, scaled to [0,1], augmented
/// (training only, if asked), channel-replicated and normalised. The order and the augmentation of epoch
/// e depend only on (seed, e), so a resumed run sees exactly the batches an uninterrupted run would.
class BatchLoader final {
public:
    BatchLoader(const TensorDataset& split, const Normalization& norm, int outChannels, int batchSize,
                bool shuffle, bool augment, int cropPadding, uint64_t seed);

    /// Restarts at the first batch of epoch `epoch` (0-based).
    void startEpoch(int epoch);
    /// Fills the next batch; false at the end of the epoch. The last batch may be smaller.
    bool next(torch::Tensor& images, torch::Tensor& labels);
    int64_t batchesPerEpoch() const;
    int64_t samples() const;

private:
    const TensorDataset& split_;
    torch::Tensor mean_, invStd_;   // 1 × C × 1 × 1 float
    int outChannels_;
    int batchSize_;
    bool shuffle_, augment_;
    int cropPadding_;
    uint64_t seed_;
    torch::Tensor order_;
    int64_t cursor_ = 0;
    torch::Generator gen_;
};

} // namespace ranklab::data
