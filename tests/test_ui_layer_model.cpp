// The layer table model: a well-behaved QAbstractItemModel whose check boxes are the layer selection,
// with presets, range collapsing, late per-layer figures and a colour column.
#include <QtTest>

#include <QAbstractItemModelTester>

#include "core/models/registry.h"
#include "ui/layer_table_model.h"

using namespace ranklab;
using ranklab::ui::LayerTableModel;

class TestUiLayerModel final : public QObject {
    Q_OBJECT
private slots:
    void passesModelTester();
    void checkBoxesAreTheSelection();
    void lateFiguresAndColour();
    void depthwiseConvsSayWhyMethodsSkipThem();
};

namespace {
ModelInfo resnetInfo()
{
    ModelSpec spec = defaultModelSpec(QStringLiteral("cifar_resnet18"));
    spec.width = 0.25;
    spec.inChannels = 1;
    spec.inputSize = 28;
    return describeModel(spec);
}
} // namespace

void TestUiLayerModel::passesModelTester()
{
    LayerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setModelInfo(resnetInfo());
    QCOMPARE(model.rowCount(), 21); // 20 convolutions + fc
    model.setData(model.index(3, LayerTableModel::Index), Qt::Checked, Qt::CheckStateRole);
    model.setSensitivity({{4, 1.5}, {5, 0.25}});
    model.setColourColumn(LayerTableModel::Sensitivity);
    model.setModelInfo(describeModel(defaultModelSpec(QStringLiteral("lenet5"))));
    QVERIFY(model.rowCount() > 0);
}

void TestUiLayerModel::checkBoxesAreTheSelection()
{
    LayerTableModel model;
    model.setModelInfo(resnetInfo());
    QSignalSpy changed(&model, &LayerTableModel::checkedLayersChanged);
    QVERIFY(model.flags(model.index(0, LayerTableModel::Index)) & Qt::ItemIsUserCheckable);
    QVERIFY(!(model.flags(model.index(0, LayerTableModel::Name)) & Qt::ItemIsUserCheckable));

    QVERIFY(model.setData(model.index(15, LayerTableModel::Index), Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.checkedLayers(), QVector<int>({16}));
    QCOMPARE(model.data(model.index(15, 0), Qt::CheckStateRole).toInt(), int(Qt::Checked));

    model.setRangeChecked(1, 5, true);
    QCOMPARE(model.checkedLayers(), QVector<int>({1, 2, 3, 4, 5, 16}));
    QCOMPARE(model.checkedSelectionText(), QStringLiteral("1-5,16"));
    model.setRangeChecked(2, 3, false);
    QCOMPARE(model.checkedSelectionText(), QStringLiteral("1,4-5,16"));

    // The text round-trips through the selection parser the jobs use.
    QCOMPARE(resolveLayerSelection(model.modelInfo(), model.checkedSelectionText()), model.checkedLayers());

    model.setCheckedLayers({16, 17, 18, 19, 20, 99});
    QCOMPARE(model.checkedLayers(), QVector<int>({16, 17, 18, 19, 20}));
    const int before = changed.size();
    model.setCheckedLayers({16, 17, 18, 19, 20});
    QCOMPARE(changed.size(), before); // nothing changed, nothing emitted
    model.setCheckedLayers({});
    QVERIFY(model.checkedLayers().isEmpty());
    QCOMPARE(model.checkedSelectionText(), QString());
}

void TestUiLayerModel::lateFiguresAndColour()
{
    LayerTableModel model;
    const ModelInfo info = resnetInfo();
    model.setModelInfo(info);
    QVERIFY(!model.data(model.index(3, LayerTableModel::Sensitivity)).isValid());
    model.setSensitivity({{4, 1.5}, {5, 0.25}});
    model.setVbmfRanks({{4, 12}});
    QCOMPARE(model.data(model.index(3, LayerTableModel::Sensitivity)).toString(), QStringLiteral("1.50"));
    QCOMPARE(model.data(model.index(3, LayerTableModel::VbmfRank)).toInt(), 12);
    QCOMPARE(model.data(model.index(1, LayerTableModel::Name)).toString(), info.layers[1].name);

    QVERIFY(!model.data(model.index(3, 0), Qt::BackgroundRole).isValid());
    model.setColourColumn(LayerTableModel::Sensitivity);
    const QColor most = model.data(model.index(3, 0), Qt::BackgroundRole).value<QColor>();
    const QColor least = model.data(model.index(4, 0), Qt::BackgroundRole).value<QColor>();
    QVERIFY(most.isValid() && least.isValid());
    QVERIFY(most.blueF() < least.blueF()); // the more sensitive layer is tinted deeper
    QVERIFY(!model.data(model.index(0, 0), Qt::BackgroundRole).isValid()); // no figure, no tint

    model.setColourColumn(LayerTableModel::Flops);
    int tinted = 0;
    for (int r = 0; r < model.rowCount(); ++r)
        tinted += model.data(model.index(r, 0), Qt::BackgroundRole).isValid();
    QCOMPARE(tinted, model.rowCount());
}

// MobileNetV2's depthwise convs: the Type column says "depthwise", the tooltip why basis convs and pruning skip them.
void TestUiLayerModel::depthwiseConvsSayWhyMethodsSkipThem()
{
    LayerTableModel model;
    model.setModelInfo(describeModel({QStringLiteral("mobilenet_v2"), 10, 3, 32, 0.25}));
    const QModelIndex type = model.index(1, LayerTableModel::Type); // features.1.conv.0.0
    QCOMPARE(model.data(type).toString(), QStringLiteral("Conv2d (depthwise)"));
    const QString tip = model.data(type, Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains("groups = 8") && tip.contains("basis convolutions and filter pruning do not apply"), qPrintable(tip));
    QCOMPARE(model.data(model.index(2, LayerTableModel::Type)).toString(), QStringLiteral("Conv2d"));
    QVERIFY(!model.data(model.index(2, LayerTableModel::Type), Qt::ToolTipRole).toString().contains("do not apply"));
}

QTEST_MAIN(TestUiLayerModel)
#include "test_ui_layer_model.moc"
