#pragma once
// Public header (torch-free): the compute devices this build of RankLab can name.

#include <QStringList>

namespace ranklab {

/// The values --device accepts on this machine, "cpu" first, then "cuda:N" for each CUDA device the LibTorch RankLab
/// is built against can see (none with Debian's CPU-only LibTorch). The GUI's device field lists them.
QStringList computeDevices();

} // namespace ranklab
