#include "ui/ron_dialog.h"

#include "ui/schema_widgets.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include "core/error.h"
#include "ui/param_options.h"

namespace ranklab::ui {

RonDialog::RonDialog(const TrainParams& base, const ModelInfo& info, const QVector<int>& checked, QWidget* parent)
    : JobDialog(tr("Reduced-Order Network"), tr("%1 on %2: replace a range of layers by a low-rank student")
                                                 .arg(base.model.name, base.data.name),
                parent),
      base_(base), info_(info)
{
    const QString range = checked.isEmpty() ? QString()
                        : checked.size() == 1 ? QString::number(checked.first())
                                              : QStringLiteral("%1-%2").arg(checked.first()).arg(checked.last());
    layers_ = new QLineEdit(range, this);
    layers_->setToolTip(tr("Contiguous range K1-K2 of registry indices or names (whole units or residual blocks)"));
    rank_ = new QLineEdit(QStringLiteral("vbmf"), this);
    rank_->setToolTip(tr("\"vbmf\", \"vbmf:0.8\" (weakened), \"factor:10\" (R = D/10) or a fixed rank"));
    rows_ = new QDoubleSpinBox(this);
    rows_->setSingleStep(0.1);
    declareSpin(rows_, QStringLiteral("ron"), QStringLiteral("rows-ratio"));
    rows_->setToolTip(tr("Rows per layer P = ratio · R, in [R, 2R] (paper B)"));
    samples_ = new QSpinBox(this);
    declareSpin(samples_, QStringLiteral("ron"), QStringLiteral("samples"));
    finetune_ = new QSpinBox(this);
    declareSpin(finetune_, QStringLiteral("ron"), QStringLiteral("finetune-epochs"));
    finetune_->setSpecialValueText(tr("no fine-tuning"));
    finetuneLr_ = new QDoubleSpinBox(this);
    finetuneLr_->setDecimals(4);
    finetuneLr_->setSingleStep(0.005);
    declareSpin(finetuneLr_, QStringLiteral("ron"), QStringLiteral("finetune-lr"));
    finetuneLr_->setToolTip(tr("Initial learning rate of the fine-tuning (cosine schedule)"));
    tagOption(layers_, QStringLiteral("layers"));
    tagOption(rank_, QStringLiteral("rank"));
    tagOption(rows_, QStringLiteral("rows-ratio"));
    tagOption(samples_, QStringLiteral("samples"));
    tagOption(finetune_, QStringLiteral("finetune-epochs"));
    tagOption(finetuneLr_, QStringLiteral("finetune-lr"));
    form()->addRow(tr("&Layers K1-K2"), layers_);
    form()->addRow(tr("&Rank rule"), rank_);
    form()->addRow(tr("Rows ratio"), rows_);
    form()->addRow(tr("Samples"), samples_);
    form()->addRow(tr("Fine-tuning epochs"), finetune_);
    form()->addRow(tr("Fine-tuning LR"), finetuneLr_);
    addRunOn();
    connect(layers_, &QLineEdit::textChanged, this, &RonDialog::clearError);
    connect(rank_, &QLineEdit::textChanged, this, &RonDialog::clearError);
}

ron::RonParams RonDialog::params() const
{
    ron::RonParams p;
    p.model = base_.model;
    p.data = base_.data;
    p.weights = base_.initWeights;
    p.layers = layers_->text().trimmed();
    p.rank = ron::parseRankRule(rank_->text().trimmed());
    p.rowsRatio = rows_->value();
    p.samples = samples_->value();
    p.batchSize = base_.batchSize;
    p.threads = base_.threads;
    p.finetune = base_;
    p.finetune.epochs = finetune_->value();
    p.finetune.lr = finetuneLr_->value();
    p.finetune.initWeights.clear();
    return p;
}

QString RonDialog::validate() const
{
    if (base_.initWeights.isEmpty())
        return tr("Open the trained teacher's weights first (File ▸ Open weights).");
    if (layers_->text().trimmed().isEmpty())
        return tr("Give the range of layers to replace, e.g. 4-7.");
    try {
        params();
        resolveLayerSelection(info_, layers_->text().trimmed());
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace ranklab::ui
