#pragma once
// Public header (torch-free): what a basis convolution is asked to be, and what inserting one reports.

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include "core/models/registry.h"

namespace ranklab::basis {

/// The three forms of basis convolution of paper A §3.1 (ALGORITHMS.md §1).
enum class BasisForm {
    Weight, ///< "weight": convolve with W = Coef·B (fewer parameters, N'_f > N^0_f, no speed-up)
    Output, ///< "output": basis conv, then a dense C_out × C'_out 1×1 mix of its maps (Fig. 2, N''_f, N''_b)
    Pair,   ///< "pair": basis conv, then (1−β)·C_out scaled copies and β·C_out two-term sums (Fig. 4, N'''_f, N'''_b)
};

/// How the basis and the coefficients start (paper A §3.1, §4.3 "Sanity check").
enum class BasisInit {
    Random, ///< "random": no trained weight is used
    Qr,     ///< "qr": column-pivoted QR of Wᵀ — C'_out real filters of the trained conv are the basis
    Svd,    ///< "svd": truncated SVD W ≈ U_r Σ_r V_rᵀ, B = Σ_r V_rᵀ, Coef = U_r
};

/// "weight", "output", "pair".
QString formName(BasisForm form);
/// "random", "qr", "svd".
QString initName(BasisInit init);
/// The names formName() gives, in enum order.
QStringList formNames();
/// The names initName() gives, in enum order.
QStringList initNames();
/// Inverse of formName() (case-insensitive); throws ranklab::Error naming the accepted values.
BasisForm parseForm(const QString& text);
/// Inverse of initName() (case-insensitive); throws ranklab::Error naming the accepted values.
BasisInit parseInit(const QString& text);
/// Parses a basis size as the paper's "Size" column writes it: "0.5" (fraction), "16" (count); throws
/// ranklab::Error for text that is not a number or fails validateBasisSpec's size checks.
double parseSize(const QString& text);

/// The request for one (or every selected) layer. Plain data; travels through params.json, GUI and CLI.
///
/// **Size rule** (paper A Fig. 8, "Size": an integer is a count, a float a fraction of C_out): a size
/// `s` in (0, 1) is the fraction α and gives C'_out = max(1, round(s·C_out)) (round half away from zero);
/// a size `s ≥ 1` must be a whole number and *is* C'_out, so 1 means one basis filter in every layer, as
/// in the paper. The count must not exceed C_out.
///
/// **β** (pair form only, ignored by the other two): the number of two-term outputs is
/// round(β·C_out), the other C_out − round(β·C_out) outputs are one-term (scaled) copies.
struct BasisSpec {
    double size = 0.5;
    double beta = 0.0;
    BasisForm form = BasisForm::Pair;
    BasisInit init = BasisInit::Qr;
};

/// Empty for a conv with groups = 1; otherwise the sentence refusing basis convolutions on `layer`: a depthwise or
/// grouped conv's filters each read a slice of the input channels, so they cannot be linear combinations of one
/// shared set of basis filters over all input channels (paper A's basis spans full C_in × K × K filters).
QString groupedConvRefusal(const LayerInfo& layer);

/// Checks what does not depend on a layer: size > 0, a size ≥ 1 is whole, β in [0, 1]. Throws
/// ranklab::Error with one sentence.
void validateBasisSpec(const BasisSpec& spec);

/// Checks `spec` against a layer with `cOut` output channels named `layerName` (for the message): the
/// above, plus C'_out ≤ C_out and, for the pair form with round(β·C_out) > 0, C'_out ≥ 2 — a two-term
/// output needs two distinct basis filters, the only (α, β) the form cannot realise (paper A §3.1 allows
/// any 0 < α ≤ 1, 0 ≤ β ≤ 1 otherwise; α + β ≥ 1 is realisable, it merely predicts no speed-up).
/// Throws ranklab::Error with one sentence.
void validateBasisSpec(const BasisSpec& spec, qint64 cOut, const QString& layerName = {});

/// C'_out for a layer with `cOut` outputs by the size rule of BasisSpec; validates first, naming
/// `layerName` in the error (throws ranklab::Error).
qint64 basisCount(const BasisSpec& spec, qint64 cOut, const QString& layerName = {});
/// round(β·C_out), the number of two-term outputs of the pair form (0 for the other forms).
qint64 pairCount(const BasisSpec& spec, qint64 cOut);

/// {"size", "beta", "form", "init"}.
QJsonObject toJson(const BasisSpec& spec);
/// Inverse of toJson(const BasisSpec&); missing keys keep BasisSpec's defaults; throws ranklab::Error for
/// unknown form/init names or invalid values.
BasisSpec basisSpecFromJson(const QJsonObject& json);

/// What inserting one basis convolution did (insertBasisConvs), for logs, params.json and the GUI.
struct BasisLayerReport {
    int index = 0;                    ///< registry index (1-based, forward order)
    QString name;                     ///< qualified module name, e.g. "layer2.0.conv1"
    qint64 cOut = 0;                  ///< C_out of the replaced conv
    qint64 basisCount = 0;            ///< C'_out
    qint64 copies = 0;                ///< pair form: one-term (scaled copy) outputs; 0 for the other forms
    qint64 pairs = 0;                 ///< pair form: two-term outputs
    double reconstructionError = 0;   ///< ‖W − Coef·B‖_F / ‖W‖_F of the initial factorisation; 0 for random
};

/// {"index", "name", "c_out", "basis_count", "copies", "pairs", "reconstruction_error"}.
QJsonObject toJson(const BasisLayerReport& report);
BasisLayerReport basisLayerReportFromJson(const QJsonObject& json);

} // namespace ranklab::basis
