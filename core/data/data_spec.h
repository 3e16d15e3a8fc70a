#pragma once

#include <QString>
#include <QVector>

namespace ranklab {

/// What data an experiment uses and how it is prepared. A plain struct: it travels through the GUI, the
/// CLI and params.json unchanged. Torch-free on purpose (ARCHITECTURE.md, core/ui boundary).
struct DataSpec {
    QString name = QStringLiteral("fashion-mnist"); ///< fashion-mnist | mnist | cifar10 | imagefolder
    QString dir;                ///< empty: the data set's default location (Fashion-MNIST: Debian's package)
    int subset = 0;             ///< 0: all training images; N: a seeded, class-stratified subset of N
    int testSubset = 0;         ///< 0: all test images; N: a seeded, class-stratified subset of N
    /// 0: no validation split; N: N images of the training split (after `subset`), seeded and
    /// class-stratified, held out of training as a validation split. Choices (sweep drops, fronts) are made on
    /// it; the test split only reports.
    int valSubset = 0;
    quint64 seed = 0;           ///< seed of the subsets (and of the ImageFolder split)
    QVector<double> mean;       ///< per-channel mean in [0,1] units; empty: the training set's own
    QVector<double> std;        ///< per-channel std in [0,1] units; empty: the training set's own
    int resize = 0;             ///< 0: native size; H: images resized (bilinear) to H×H once, at load
    int channels = 0;           ///< 0: native; 3: grayscale replicated to 3 channels (model expects 3)
    bool augment = false;       ///< random crop with padding + horizontal flip on training batches
    int cropPadding = 4;        ///< zero padding of the random crop, in pixels
    double testFraction = 0.2;  ///< ImageFolder without train/ and test/ sub-folders: seeded split
};

/// Normalisation actually used by a run (resolved from DataSpec and the training set).
struct Normalization {
    QVector<double> mean;
    QVector<double> std;
};

} // namespace ranklab
