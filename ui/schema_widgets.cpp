#include "ui/schema_widgets.h"

#include <cmath>
#include <limits>

#include <QDoubleSpinBox>
#include <QSpinBox>

#include "core/jobs/job_kind.h"

namespace ranklab::ui {

namespace {
const ParamDecl* declaration(const QString& kind, const QString& param)
{
    const JobKind* k = JobKinds::find(kind);
    return k ? k->schema.find(param) : nullptr;
}
} // namespace

void declareSpin(QSpinBox* spin, const QString& kind, const QString& param, bool withDefault)
{
    const ParamDecl* d = declaration(kind, param);
    if (!d)
        return;
    const double lo = std::isfinite(d->min) ? d->min : std::numeric_limits<int>::min();
    const double hi = std::isfinite(d->max) ? d->max : std::numeric_limits<int>::max();
    spin->setRange(int(std::max(lo, double(std::numeric_limits<int>::min()))), int(std::min(hi, double(std::numeric_limits<int>::max()))));
    spin->setToolTip(d->help);
    bool ok = false;
    const int v = d->defaultValue.toInt(&ok);
    if (withDefault && ok)
        spin->setValue(v);
}

void declareSpin(QDoubleSpinBox* spin, const QString& kind, const QString& param, bool withDefault)
{
    const ParamDecl* d = declaration(kind, param);
    if (!d)
        return;
    const double step = std::pow(10.0, -spin->decimals());
    double lo = std::isfinite(d->min) ? d->min : -1e12;
    if (d->minOpen || lo < step)
        lo = std::max(lo, d->minOpen ? lo + step : lo);
    if (lo < step && d->min > 0)
        lo = step;
    spin->setRange(lo, std::isfinite(d->max) ? (d->maxOpen ? d->max - step : d->max) : 1e12);
    spin->setToolTip(d->help);
    bool ok = false;
    const double v = d->defaultValue.toDouble(&ok);
    if (withDefault && ok)
        spin->setValue(v);
}

} // namespace ranklab::ui
