#include "core/basis/basis_spec.h"

#include <algorithm>
#include <cmath>

#include <QRegularExpression>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/printable_text.h"

namespace ranklab::basis {

namespace {
QString layerPrefix(const QString& layerName)
{
    return layerName.isEmpty() ? QStringLiteral("the layer") : QStringLiteral("layer %1").arg(layerName);
}

// C'_out by the size rule, for a spec that passed validateBasisSpec(spec).
qint64 countFor(const BasisSpec& spec, qint64 cOut)
{
    return spec.size >= 1 ? qint64(spec.size) : std::max<qint64>(1, std::llround(spec.size * double(cOut)));
}
} // namespace

QString formName(BasisForm form)
{
    switch (form) {
    case BasisForm::Weight: return QStringLiteral("weight");
    case BasisForm::Output: return QStringLiteral("output");
    case BasisForm::Pair: return QStringLiteral("pair");
    }
    return {};
}

QString initName(BasisInit init)
{
    switch (init) {
    case BasisInit::Random: return QStringLiteral("random");
    case BasisInit::Qr: return QStringLiteral("qr");
    case BasisInit::Svd: return QStringLiteral("svd");
    }
    return {};
}

QStringList formNames()
{
    return {formName(BasisForm::Weight), formName(BasisForm::Output), formName(BasisForm::Pair)};
}

QStringList initNames()
{
    return {initName(BasisInit::Random), initName(BasisInit::Qr), initName(BasisInit::Svd)};
}

BasisForm parseForm(const QString& text)
{
    const QString t = text.trimmed().toLower();
    for (BasisForm f : {BasisForm::Weight, BasisForm::Output, BasisForm::Pair})
        if (t == formName(f))
            return f;
    throw Error(QStringLiteral("'%1' is not a basis form; use %2.").arg(printableText(text), formNames().join(QStringLiteral(", "))));
}

BasisInit parseInit(const QString& text)
{
    const QString t = text.trimmed().toLower();
    for (BasisInit i : {BasisInit::Random, BasisInit::Qr, BasisInit::Svd})
        if (t == initName(i))
            return i;
    throw Error(QStringLiteral("'%1' is not a basis initialisation; use %2.").arg(printableText(text), initNames().join(QStringLiteral(", "))));
}

double parseSize(const QString& text)
{
    bool ok = false;
    const double size = text.trimmed().toDouble(&ok);
    if (!ok)
        throw Error(QStringLiteral("the basis size '%1' is not a number; give a fraction of C_out (0.5) or a count (16).").arg(printableText(text)));
    // "1.0" would read as the fraction 100 % but means a basis of one filter: a count must be written as one.
    static const QRegularExpression wholeNumber(QStringLiteral("^\\s*\\+?\\d+\\s*$"));
    if (size >= 1 && !wholeNumber.match(text).hasMatch())
        throw OptionError(QStringLiteral("the basis size '%1' is 1 or more, so it is a count of filters: write it as a whole "
                                         "number (e.g. %2), or give a fraction of C_out below 1 (e.g. 0.5).")
                              .arg(printableText(text.trimmed()))
                              .arg(std::max<qint64>(1, qint64(std::floor(std::min(size, 1e9))))));
    BasisSpec spec;
    spec.size = size;
    validateBasisSpec(spec);
    return size;
}

QString groupedConvRefusal(const LayerInfo& layer)
{
    if (layer.groups == 1)
        return {};
    return QStringLiteral("layer %1 (%2) is a %3 convolution (groups = %4); basis convolutions need groups = 1, since "
                          "their basis filters span all input channels.")
        .arg(layer.index)
        .arg(layer.name, groupedConvKind(layer))
        .arg(layer.groups);
}

void validateBasisSpec(const BasisSpec& spec)
{
    if (!std::isfinite(spec.size) || spec.size <= 0)
        throw Error(QStringLiteral("the basis size must be a fraction in (0, 1) or a count of at least 1, not %1.")
                        .arg(spec.size));
    if (spec.size >= 1 && spec.size != std::floor(spec.size))
        throw Error(QStringLiteral("a basis size of 1 or more is a count of filters and must be a whole number, not %1.")
                        .arg(spec.size));
    if (!std::isfinite(spec.beta) || spec.beta < 0 || spec.beta > 1)
        throw Error(QStringLiteral("β, the fraction of two-term outputs, must be in [0, 1], not %1.").arg(spec.beta));
}

void validateBasisSpec(const BasisSpec& spec, qint64 cOut, const QString& layerName)
{
    validateBasisSpec(spec);
    if (spec.size >= 1 && qint64(spec.size) > cOut)
        throw Error(QStringLiteral("a basis of %1 filters is larger than the %2 output channels of %3.")
                        .arg(qint64(spec.size))
                        .arg(cOut)
                        .arg(layerPrefix(layerName)));
    const qint64 count = countFor(spec, cOut);
    if (spec.form == BasisForm::Pair && pairCount(spec, cOut) > 0 && count < 2)
        throw Error(QStringLiteral("β = %1 asks for two-term outputs, but %2 gets only %3 basis filter (α = %4) and a "
                                   "pair needs two; raise the size or set β to 0.")
                        .arg(spec.beta)
                        .arg(layerPrefix(layerName))
                        .arg(count)
                        .arg(double(count) / double(cOut)));
}

qint64 basisCount(const BasisSpec& spec, qint64 cOut, const QString& layerName)
{
    validateBasisSpec(spec, cOut, layerName);
    return countFor(spec, cOut);
}

qint64 pairCount(const BasisSpec& spec, qint64 cOut)
{
    return spec.form == BasisForm::Pair ? std::llround(spec.beta * double(cOut)) : 0;
}

QJsonObject toJson(const BasisSpec& spec)
{
    return QJsonObject{{QStringLiteral("size"), spec.size},
                       {QStringLiteral("beta"), spec.beta},
                       {QStringLiteral("form"), formName(spec.form)},
                       {QStringLiteral("init"), initName(spec.init)}};
}

BasisSpec basisSpecFromJson(const QJsonObject& json)
{
    BasisSpec spec;
    spec.size = json.value(QStringLiteral("size")).toDouble(spec.size);
    spec.beta = json.value(QStringLiteral("beta")).toDouble(spec.beta);
    if (json.contains(QStringLiteral("form")))
        spec.form = parseForm(json.value(QStringLiteral("form")).toString());
    if (json.contains(QStringLiteral("init")))
        spec.init = parseInit(json.value(QStringLiteral("init")).toString());
    validateBasisSpec(spec);
    return spec;
}

namespace {
const JsonFields<BasisLayerReport>& layerReportFields()
{
    static const auto f = JsonFields<BasisLayerReport>()
                              .add("index", &BasisLayerReport::index)
                              .add("name", &BasisLayerReport::name)
                              .add("c_out", &BasisLayerReport::cOut)
                              .add("basis_count", &BasisLayerReport::basisCount)
                              .add("copies", &BasisLayerReport::copies)
                              .add("pairs", &BasisLayerReport::pairs)
                              .add("reconstruction_error", &BasisLayerReport::reconstructionError);
    return f;
}
} // namespace

QJsonObject toJson(const BasisLayerReport& r)
{
    return layerReportFields().write(r);
}

BasisLayerReport basisLayerReportFromJson(const QJsonObject& json)
{
    return layerReportFields().read(json);
}

} // namespace ranklab::basis
