#include "core/jobs/kinds/basis_params.h"

#include "core/error.h"

namespace ranklab::kinds {

void addBasisParams(ParamSchema& schema, bool withFormAndInit, const QString& defaultInit)
{
    schema.text(QStringLiteral("size"), QStringLiteral("S"), QStringLiteral("basis size: a fraction of C_out (0.5) or a count (8), as paper A's \"Size\""))
        .req()
        .number(QStringLiteral("beta"), QStringLiteral("B"), QStringLiteral("pair form: fraction of outputs that are sums of two basis outputs"),
                QStringLiteral("0"), 0, 1);
    if (!withFormAndInit)
        return;
    schema.choice(QStringLiteral("form"), basis::formNames(), QStringLiteral("weight, output or pair (paper A §3.1)"), QStringLiteral("pair"))
        .shownAs(QStringLiteral("F"))
        .choice(QStringLiteral("init"), basis::initNames(), QStringLiteral("random, qr or svd"), defaultInit)
        .shownAs(QStringLiteral("I"));
}

basis::BasisSpec basisSpecFrom(const Params& params, bool withFormAndInit)
{
    basis::BasisSpec spec;
    try {
        spec.size = basis::parseSize(params.required(QStringLiteral("size")));
        spec.beta = params.doubleValue(QStringLiteral("beta"));
        if (withFormAndInit) {
            spec.form = basis::parseForm(params.choice(QStringLiteral("form")));
            spec.init = basis::parseInit(params.choice(QStringLiteral("init")));
        }
        basis::validateBasisSpec(spec);
    } catch (const OptionError&) {
        throw;
    } catch (const Error& e) {
        throw OptionError(e.what()); // a basis the options cannot give is a usage error (exit 2)
    }
    return spec;
}

} // namespace ranklab::kinds
