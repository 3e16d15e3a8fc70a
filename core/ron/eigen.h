#pragma once
// Eigen for the RON linear algebra (core/ron). Core links Eigen3::Eigen PRIVATE, so targets that only link
// ranklab_core (tests, ranklab-bench) may lack Eigen's include directory; Debian installs Eigen under
// /usr/include/eigen3, which the fallback reaches through the default /usr/include.

#if __has_include(<Eigen/Core>)
#include <Eigen/Core>
#else
#include <eigen3/Eigen/Core>
#endif

namespace ranklab::ron {

/// Row-major dense matrices: activation rows arrive one sample per row.
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

} // namespace ranklab::ron
