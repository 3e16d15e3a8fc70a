#include "core/train/lr_schedule.h"

#include <cmath>

#include "core/error.h"

namespace ranklab {

double scheduledLearningRate(const QString& schedule, double baseLr, int epoch, int totalEpochs)
{
    if (schedule == QLatin1String("constant"))
        return baseLr;
    if (schedule == QLatin1String("cosine")) {
        if (totalEpochs <= 0)
            return baseLr;
        return baseLr * (1.0 + std::cos(M_PI * double(epoch) / double(totalEpochs))) / 2.0;
    }
    throw Error(QStringLiteral("unknown learning-rate schedule '%1'; use cosine or constant.").arg(schedule));
}

} // namespace ranklab
