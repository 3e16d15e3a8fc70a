#include "core/cluster/units.h"

#include <QDir>
#include <QFileInfo>

#include "core/error.h"

namespace ranklab::cluster {

namespace {
JobUnitFunction& jobUnit()
{
    static JobUnitFunction f;
    return f;
}
} // namespace

void registerJobUnit(JobUnitFunction unit)
{
    jobUnit() = std::move(unit);
}

QVector<search::SweepUnit> folderUnits(const QString& dir)
{
    if (QFileInfo::exists(QDir(dir).filePath(QStringLiteral("sweep.json"))))
        return search::sweepUnits(dir);
    if (!jobUnit())
        throw Error(QStringLiteral("%1 holds no sweep (no sweep.json).").arg(dir));
    return {jobUnit()(dir)};
}

} // namespace ranklab::cluster
