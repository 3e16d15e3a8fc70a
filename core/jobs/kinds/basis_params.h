#pragma once
// The basis-convolution options shared by the kinds that insert basis convs (basis-train, cost, sweep,
// groups, proxy-sweep): --size and --beta, and where the kind chooses them, --form and --init. Torch-free.

#include "core/basis/basis_spec.h"
#include "core/jobs/params.h"

namespace ranklab::kinds {

/// --size (required), --beta and, with `withFormAndInit`, --form (default pair) and --init (default
/// `defaultInit`), as kind-specific parameters (no group).
void addBasisParams(ParamSchema& schema, bool withFormAndInit, const QString& defaultInit);
/// Those options as a checked BasisSpec (form and init stay BasisSpec's defaults without
/// `withFormAndInit`). Throws OptionError with one sentence for a value a basis cannot have.
basis::BasisSpec basisSpecFrom(const Params& params, bool withFormAndInit);

} // namespace ranklab::kinds
