#pragma once
// Internal header (torch types): not for ui/.

#include <cstdint>

#include <QString>
#include <QStringList>

#include "core/data/dataset.h"

namespace ranklab::data {

/// The two splits of an image folder.
struct ImageFolderSplits {
    TensorDataset train;
    TensorDataset test;
};

/// File name patterns of the images an ImageFolder reads (every format QImageReader supports: *.png,
/// *.jpg, *.jpeg, *.bmp, …); other files in class folders are ignored.
QStringList imageFileFilters();

/// Reads an image folder: DIR/train/<class>/* and DIR/test/<class>/* when both exist, otherwise one
/// DIR/<class>/* tree split per class into test (round(count · testFraction) images, chosen by a
/// permutation seeded with `seed`) and train. Classes are the sub-folder names sorted by name; samples
/// are ordered by class, then file name. Every image is scaled to the first image's size; the images are
/// 1-channel if all of them are gray (R = G = B), else RGB. Throws ranklab::Error naming the folder or
/// file: missing folder, no class sub-folders, a class without images, an unreadable image, a test class
/// unknown to training, testFraction outside [0, 1).
ImageFolderSplits readImageFolder(const QString& dir, double testFraction, uint64_t seed);

} // namespace ranklab::data
