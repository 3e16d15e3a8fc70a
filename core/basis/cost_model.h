#pragma once
// Public header (torch-free): the cost of basis convolutions per layer, predicted and measured.

#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/basis/basis_spec.h"
#include "core/models/model_spec.h"

namespace ranklab::basis {

/// Cost of one Conv2d and of its three basis forms (paper A §3.1; ALGORITHMS.md §1, §4).
///
/// The operation counts N are the paper's, *multiply-adds* for one sample, with W·H the layer's OUTPUT
/// spatial size (outH·outW; equal to the input size for stride 1), K²C = K·K·C_in, C' = C'_out:
///   N^0_f = N^0_b = K²C·WH·C_out                          (plain conv, forward / backward)
///   N'_f   = C_out·C'·K²C + K²C·WH·C_out                   (weight composition, forward)
///   N''_f  = K²C·WH·C' + C_out·C'·WH,  N''_b = WH·C_out·C'·K²C   (output composition, Fig. 2–3)
///   N'''_f = K²C·WH·C' + copies·WH + 2·pairs·WH             (copy + pair, Fig. 4)
///   N'''_b = WH·copies·K²C + WH·pairs·2·K²C
/// where pairs = round(β·C_out) and copies = C_out − pairs, i.e. the paper's (1−β)·C_out and β·C_out with the
/// realised β. The acceleration condition Δ''' < 0 is β·(1 + 1/K²C) + α < 1 − 1/K²C (≈ α + β < 1), with
/// α = C'/C_out; it holds exactly when predictedSpeedup > 1.
///
/// FLOPs are floating-point operations for one sample: 2 × multiply-adds for convolutions and matrix
/// products (2·N^0_f, 2·N'_f, 2·N''_f), the pair form's mixing 1 per copy element (a scale) and 3 per pair
/// element (two products, one sum); + C_out·WH bias adds when the conv has a bias. They equal
/// nn::Layer::forwardFlops of the Conv2d and of the BasisConv2d of each form.
struct LayerCost {
    int index = 0;  ///< registry index (1-based)
    QString name;   ///< qualified module name
    qint64 cIn = 0, cOut = 0, kernel = 0, outH = 0, outW = 0;
    bool bias = false;
    qint64 basisCount = 0;       ///< C'_out by BasisSpec's size rule
    qint64 copies = 0, pairs = 0; ///< pair form
    double alpha = 0, beta = 0;  ///< realised C'_out/C_out and pairs/C_out

    /// Parameters (weight + bias): conv C_out·K²C; weight and output forms C'·K²C + C'·C_out (paper A §3.1);
    /// pair form C'·K²C + copies + 2·pairs.
    qint64 paramsFull = 0, paramsWeight = 0, paramsOutput = 0, paramsPair = 0;

    double n0f = 0, n0b = 0, n1f = 0, n2f = 0, n2b = 0, n3f = 0, n3b = 0;
    double predictedSpeedup = 0; ///< (N^0_f + N^0_b) / (N'''_f + N'''_b), the pair form's
    double conditionLhs = 0;     ///< β·(1 + 1/K²C) + α
    double conditionRhs = 0;     ///< 1 − 1/K²C
    bool accelerates = false;    ///< conditionLhs < conditionRhs

    double flopsConv = 0, flopsWeight = 0, flopsOutput = 0, flopsPair = 0;

    /// Measured forward + backward wall time of one batch (median of repeats after one warm-up), seconds;
    /// -1 when not measured.
    double secondsConv = -1, secondsWeight = -1, secondsOutput = -1, secondsPair = -1;
    /// (secondsConv / secondsPair) / predictedSpeedup: 1 means the pair form is exactly as much faster as the
    /// paper's counts predict; -1 when not measured.
    double measuredOverPredicted = -1;
};

/// The predicted part of LayerCost for a conv with the given shape (K×K kernel, output outH × outW) and a
/// basis by `spec` (size and β; its form and init are ignored — all three forms are costed). Throws
/// ranklab::Error naming `layerName` when the spec cannot be realised on this layer (see validateBasisSpec).
LayerCost predictLayerCost(qint64 cIn, qint64 cOut, qint64 kernel, qint64 outH, qint64 outW, bool bias,
                           const BasisSpec& spec, const QString& layerName = {});

/// LayerCost of every Conv2d with groups = 1 of the model `spec` (registry order; depthwise convs take no basis) for a basis of `size` (BasisSpec's rule)
/// and pair fraction `beta`. With `measure`, also times forward + backward of each layer and each form
/// (random initialisation) on a random input of `batch` samples that requires grad, as inside a network:
/// the conv and the three forms run round-robin, median of `repeats` rounds after one warm-up round, on
/// the calling thread's torch thread settings. Throws
/// ranklab::Error for an unknown model or a size/β some layer cannot realise.
QVector<LayerCost> basisCostModel(const ModelSpec& spec, double size, double beta, bool measure, int batch = 32,
                                  int repeats = 5);

/// One layer for `cost --json`: snake_case keys ("n0f", "predicted_speedup", "seconds_pair", …).
QJsonObject toJson(const LayerCost& cost);
LayerCost layerCostFromJson(const QJsonObject& json);

/// What `ranklab-cli cost` reports: the cost of every conv of `model` for a basis of `size` and `beta`.
struct CostReport {
    QString model;
    double size = 0, beta = 0;
    QVector<LayerCost> layers;
};
QJsonObject toJson(const CostReport& report);
CostReport costReportFromJson(const QJsonObject& json);

} // namespace ranklab::basis
