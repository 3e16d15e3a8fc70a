#pragma once
// Basis convolutions (paper A §3.1) as a LayerMethod: the trained filters of a layer replaced by a basis
// extracted from them (QR or SVD, the chosen size, form and β), for the training-free layer sweep.

#include "core/basis/basis_spec.h"
#include "core/train/layer_method.h"

namespace ranklab::basis {

/// Registers "basis" with registerLayerMethod(); options are basis::toJson(BasisSpec). Idempotent.
void registerBasisMethod();

} // namespace ranklab::basis
