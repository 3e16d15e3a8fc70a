#include "core/train/devices.h"

#include <torch/cuda.h>

namespace ranklab {

QStringList computeDevices()
{
    QStringList devices{QStringLiteral("cpu")};
    if (torch::cuda::is_available())
        for (size_t i = 0; i < torch::cuda::device_count(); ++i)
            devices << QStringLiteral("cuda:%1").arg(i);
    return devices;
}

} // namespace ranklab
