#include "ui/plot_data.h"

namespace ranklab::ui {

int RunCurve::skipBoundary() const
{
    for (int i = 0; i + 1 < epochs.size(); ++i)
        if (epochs[i].phase == QLatin1String("basis") && epochs[i + 1].phase == QLatin1String("full"))
            return epochs[i].epoch;
    return 0;
}

} // namespace ranklab::ui
