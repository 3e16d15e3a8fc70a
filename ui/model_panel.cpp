#include "ui/model_panel.h"

#include "core/jobs/common_params.h"
#include "core/train/devices.h"
#include "ui/schema_widgets.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>

namespace ranklab::ui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent)
{
    arch_ = new QComboBox(this);
    arch_->addItems(zooModelNames());
    width_ = new QDoubleSpinBox(this);
    width_->setDecimals(4);
    declareSpin(width_, QStringLiteral("train"), QStringLiteral("width"));
    width_->setSingleStep(0.125);
    width_->setToolTip(tr("Width multiplier: every channel count is scaled by it"));
    classes_ = new QSpinBox(this);
    declareSpin(classes_, QStringLiteral("train"), QStringLiteral("num-classes"), false);
    channels_ = new QSpinBox(this);
    declareSpin(channels_, QStringLiteral("train"), QStringLiteral("in-channels"), false);
    inputSize_ = new QSpinBox(this);
    declareSpin(inputSize_, QStringLiteral("train"), QStringLiteral("input-size"), false);
    // The devices this build can use; "cuda" is listed anyway so a user sees the choice and, picking it, the sentence
    // that says what it needs (jobs check --device before they start).
    device_ = new QComboBox(this);
    device_->setEditable(true);
    device_->addItems(computeDevices());
    if (device_->findText(QStringLiteral("cuda")) < 0 && device_->findText(QStringLiteral("cuda:0")) < 0)
        device_->addItem(QStringLiteral("cuda"));
    device_->setToolTip(tr("Where jobs compute (--device): cpu, or cuda / cuda:N with RankLab built against a CUDA LibTorch "
                           "(README: Larger machines). This build can use: %1.")
                            .arg(computeDevices().join(QStringLiteral(", "))));
    dataset_ = new QComboBox(this);
    dataset_->addItems(datasetNames());
    dataDir_ = new QLineEdit(this);
    dataDir_->setPlaceholderText(tr("default location"));
    subset_ = new QSpinBox(this);
    declareSpin(subset_, QStringLiteral("train"), QStringLiteral("subset"), false);
    subset_->setSpecialValueText(tr("all"));
    subset_->setToolTip(tr("Train on a class-stratified subset of this many images (0: all)"));
    testSubset_ = new QSpinBox(this);
    declareSpin(testSubset_, QStringLiteral("train"), QStringLiteral("test-subset"), false);
    testSubset_->setSpecialValueText(tr("all"));
    weights_ = new QLineEdit(this);
    weights_->setReadOnly(true);
    weights_->setPlaceholderText(tr("random initialisation"));
    auto* browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Open a weights file (RankLab, PyTorch state dict, TorchScript)"));
    auto* clear = new QToolButton(this);
    clear->setText(QStringLiteral("×"));
    clear->setToolTip(tr("Start from random weights"));
    weightsNote_ = new QLabel(this);
    weightsNote_->setWordWrap(true);
    auto* weightsRow = new QHBoxLayout;
    weightsRow->addWidget(weights_, 1);
    weightsRow->addWidget(browse);
    weightsRow->addWidget(clear);

    // Two label/field pairs per row keep the panel short, leaving the dock's height to the layer table.
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(4, 4, 4, 4);
    grid->setVerticalSpacing(3);
    auto pair = [this, grid](int row, int col, const QString& label, QWidget* field) {
        auto* l = new QLabel(label, this);
        l->setBuddy(field);
        grid->addWidget(l, row, 2 * col);
        grid->addWidget(field, row, 2 * col + 1);
    };
    pair(0, 0, tr("&Architecture"), arch_);
    pair(0, 1, tr("&Width"), width_);
    pair(1, 0, tr("&Data set"), dataset_);
    pair(1, 1, tr("Classes"), classes_);
    pair(2, 0, tr("Train subset"), subset_);
    pair(2, 1, tr("Input channels"), channels_);
    pair(3, 0, tr("Test subset"), testSubset_);
    pair(3, 1, tr("Input size"), inputSize_);
    pair(4, 0, tr("Data folder"), dataDir_);
    pair(4, 1, tr("De&vice"), device_);
    grid->addWidget(new QLabel(tr("Weights"), this), 5, 0);
    grid->addLayout(weightsRow, 5, 1, 1, 3);
    grid->addWidget(weightsNote_, 6, 1, 1, 3);
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(3, 1);
    grid->setRowStretch(7, 1);

    ModelSpec spec = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    spec.width = 0.25;
    spec.inChannels = 1;
    spec.inputSize = 28;
    setModelSpec(spec);
    DataSpec data;
    data.subset = 2000;
    data.testSubset = 1000;
    setDataSpec(data);

    auto changed = [this] {
        if (!quiet_)
            Q_EMIT modelChanged();
    };
    connect(arch_, &QComboBox::currentTextChanged, this, [this, changed](const QString& name) {
        const ModelSpec d = defaultModelSpec(name);
        const QSignalBlocker b(classes_);
        classes_->setValue(d.numClasses == 1000 && dataset_->currentText() != QLatin1String("imagefolder") ? 10 : d.numClasses);
        changed();
    });
    connect(dataset_, &QComboBox::currentTextChanged, this, [this, changed](const QString& name) {
        const QSignalBlocker b1(channels_), b2(inputSize_);
        if (datasetChannels(name) > 0) { // the built-in sets' shapes, declared once in core/jobs/common_params
            channels_->setValue(datasetChannels(name));
            inputSize_->setValue(datasetImageSize(name));
        }
        changed();
    });
    for (QSpinBox* s : {classes_, channels_, inputSize_})
        connect(s, &QSpinBox::valueChanged, this, changed);
    connect(width_, &QDoubleSpinBox::valueChanged, this, changed);
    connect(browse, &QToolButton::clicked, this, &ModelPanel::openWeightsRequested);
    connect(clear, &QToolButton::clicked, this, [this] { setWeightsFile({}, {}); });
}

ModelSpec ModelPanel::modelSpec() const
{
    ModelSpec s;
    s.name = arch_->currentText();
    s.width = width_->value();
    s.numClasses = classes_->value();
    s.inChannels = channels_->value();
    s.inputSize = inputSize_->value();
    return s;
}

DataSpec ModelPanel::dataSpec() const
{
    DataSpec d;
    d.name = dataset_->currentText();
    d.dir = dataDir_->text().trimmed();
    d.subset = subset_->value();
    d.testSubset = testSubset_->value();
    return d;
}

QString ModelPanel::weightsFile() const
{
    return weights_->text();
}

QString ModelPanel::device() const
{
    const QString d = device_->currentText().trimmed();
    return d.isEmpty() ? QStringLiteral("cpu") : d;
}

void ModelPanel::setDevice(const QString& device)
{
    device_->setCurrentText(device.isEmpty() ? QStringLiteral("cpu") : device);
}

void ModelPanel::setModelSpec(const ModelSpec& spec)
{
    quiet_ = true;
    arch_->setCurrentText(spec.name);
    width_->setValue(spec.width);
    classes_->setValue(spec.numClasses);
    channels_->setValue(spec.inChannels);
    inputSize_->setValue(spec.inputSize);
    quiet_ = false;
    Q_EMIT modelChanged();
}

void ModelPanel::setDataSpec(const DataSpec& spec)
{
    const QSignalBlocker b(dataset_);
    dataset_->setCurrentText(spec.name);
    dataDir_->setText(spec.dir);
    subset_->setValue(spec.subset);
    testSubset_->setValue(spec.testSubset);
}

void ModelPanel::setWeightsFile(const QString& path, const QString& note)
{
    weights_->setText(path);
    weights_->setToolTip(path);
    weightsNote_->setText(note);
}

} // namespace ranklab::ui
