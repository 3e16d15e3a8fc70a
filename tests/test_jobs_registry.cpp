// The job-kind registry: every command is a registered kind whose parameters are declared once; the
// declaration checks values the same way everywhere, survives a parameter file / job.json round trip, and
// the typed structs of the GUI's dialogs map to exactly the options their kind parses back.
#include <QtTest>

#include <QJsonArray>
#include <QTemporaryDir>

#include "core/basis/cost_model.h"
#include "core/basis/sanity_check.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/common_params.h"
#include "core/jobs/job_kind.h"
#include "core/jobs/kinds/typed_options.h"
#include "core/jobs/param_file.h"
#include "core/prune/pruning.h"
#include "core/ron/ron_job.h"
#include "core/search/validation.h"
#include "core/train/evaluate.h"
#include "core/train/train_params.h"

using namespace ranklab;

class TestJobsRegistry final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyCommandIsRegistered();
    void defaultsAreInsideTheirOwnRanges();
    void valuesAreCheckedByTheDeclaration();
    void paramsRoundTripThroughAJobFile();
    void trainParamsRoundTrip();
    void reportsRoundTrip();
    void typedDialogsRoundTrip();
    void readJobRepointsTheRunFolder();
    void aNewKindIsOneRegistration();
};

void TestJobsRegistry::everyCommandIsRegistered()
{
    QStringList ids;
    for (const JobKind* k : JobKinds::all()) {
        ids << k->id;
        QVERIFY2(!k->title.isEmpty() && !k->summary.isEmpty() && !k->help.isEmpty() && !k->menu.isEmpty(), qPrintable(k->id));
        QVERIFY2(bool(k->run), qPrintable(k->id));
        for (const QString& p : {k->runFolderParam, k->resumeParam, k->layersParam, k->weightsParam})
            QVERIFY2(p.isEmpty() || k->schema.find(p), qPrintable(k->id + QLatin1Char(' ') + p));
        if (!k->runFolderParam.isEmpty())
            QVERIFY2(!k->completionFiles.isEmpty(), qPrintable(k->id)); // the workspace must know when it is done
    }
    const QStringList expected{"info", "train", "eval", "export", "basis-train", "sanity-check", "prune", "cost",
                               "sweep", "groups", "pareto", "proxy-sweep", "spectrum", "ron", "sweep-unit", "status", "cancel", "resubmit"};
    QCOMPARE(ids, expected);
}

void TestJobsRegistry::defaultsAreInsideTheirOwnRanges()
{
    // A default the declaration itself refuses would make the GUI's untouched form fail to start.
    for (const JobKind* k : JobKinds::all()) {
        Params p = k->params();
        for (const ParamDecl& d : k->schema.decls())
            if (!d.defaultValue.isEmpty() && d.type != ParamType::Flag)
                p.set(d.name, d.defaultValue);
        for (const ParamDecl& d : k->schema.decls())
            if (d.required && p.value(d.name).isEmpty())
                p.set(d.name, d.type == ParamType::Choice                                   ? d.choices.first()
                              : d.type == ParamType::Int || d.type == ParamType::Double ? QString::number(d.min)
                                                                                        : QStringLiteral("x"));
        try {
            p.validate();
        } catch (const Error& e) {
            QFAIL(qPrintable(k->id + QStringLiteral(": ") + QString::fromUtf8(e.what())));
        }
    }
}

void TestJobsRegistry::valuesAreCheckedByTheDeclaration()
{
    const JobKind* train = JobKinds::find(QStringLiteral("train"));
    QVERIFY(train);
    auto refused = [train](const QStringList& args, const char* fragment) {
        Params p = train->params();
        try {
            p.parseCommandLine(QStringList{"--model", "lenet5", "--out", "x"} + args);
            p.validate();
        } catch (const OptionError& e) {
            return QString::fromUtf8(e.what()).contains(QLatin1String(fragment));
        }
        return false;
    };
    QVERIFY(refused({"--width", "65"}, "--width must be a number from 0.001 to 64"));
    QVERIFY(refused({"--momentum", "1"}, "--momentum must be a number in [0, 1)"));
    QVERIFY(refused({"--epochs", "0"}, "--epochs must be a whole number from 1 to 100000"));
    QVERIFY(refused({"--schedule", "step"}, "--schedule must be one of cosine, constant"));
    QVERIFY(refused({"--epochs", "3", "--epochs", "4"}, "--epochs is given twice"));
    QVERIFY(refused({"--no-such"}, "has no option --no-such"));
    QVERIFY(refused({"--model", "resnet9000"}, "--model is given twice"));
    Params unknown = train->params();
    unknown.parseCommandLine({"--model", "resnet9000", "--out", "x"});
    QVERIFY_THROWS_EXCEPTION(OptionError, unknown.validate());
    Params ok = train->params();
    ok.parseCommandLine({"--model", "lenet5", "--out", "x", "--width", "64", "--momentum", "0.99"});
    ok.validate();
    QCOMPARE(modelSpecFrom(ok, true).width, 64.0);
    // Presentation options never reach a job file.
    ok.set(QStringLiteral("json"), QStringLiteral("1"));
    QVERIFY(!ok.toJson().value(QStringLiteral("options")).toObject().contains(QStringLiteral("json")));
}

void TestJobsRegistry::paramsRoundTripThroughAJobFile()
{
    QTemporaryDir dir;
    for (const JobKind* k : JobKinds::all()) {
        Params p = k->params();
        // Every declared parameter gets a value of its type; a Repeated one two.
        for (const ParamDecl& d : k->schema.decls()) {
            if (d.presentation)
                continue;
            switch (d.type) {
            case ParamType::Flag: p.set(d.name, QStringLiteral("1")); break;
            case ParamType::Choice: p.set(d.name, d.choices.last()); break;
            case ParamType::Repeated: p.setList(d.name, {QStringLiteral("a=1,3"), QStringLiteral("b=4-5")}); break;
            default: p.set(d.name, d.defaultValue.isEmpty() ? QStringLiteral("v-") + d.name : d.defaultValue); break;
            }
        }
        const QString path = dir.filePath(k->id + QStringLiteral(".json"));
        io::writeJsonAtomic(path, p.toJson());
        Params back = k->params();
        back.merge(readParamFile(path));
        QCOMPARE(back.given(), p.given());
    }
}

void TestJobsRegistry::trainParamsRoundTrip()
{
    TrainParams t;
    t.model = defaultModelSpec(QStringLiteral("cifar_vgg11"));
    t.model.width = 0.375;
    t.model.inChannels = 1;
    t.model.inputSize = 28;
    t.data.name = QStringLiteral("mnist");
    t.data.dir = QStringLiteral("/data/mnist");
    t.data.subset = 600;
    t.data.testSubset = 300;
    t.data.mean = {0.1307};
    t.data.std = {0.3081};
    t.data.augment = true;
    t.data.cropPadding = 2;
    t.epochs = 7;
    t.batchSize = 64;
    t.lr = 0.0125;
    t.momentum = 0.85;
    t.weightDecay = 1e-4;
    t.schedule = QStringLiteral("constant");
    t.seed = 12345678901234ULL;
    t.data.seed = t.seed;
    t.deterministic = true;
    t.threads = 3;
    t.initWeights = QStringLiteral("/w/model.rlk");
    // Options (CLI, GUI, job.json) and back.
    Params p = kinds::trainOptions(t);
    p.set(QStringLiteral("out"), QStringLiteral("x"));
    p.validate();
    const TrainParams back = trainParamsFrom(p);
    QCOMPARE(toJson(back), toJson(t));
    // params.json's writer and reader agree too.
    QCOMPARE(toJson(trainParamsFromJson(toJson(t))), toJson(t));
}

namespace {
/// `value` written and read back writes the same object; and every key of it carries a value other than
/// the default struct's, so a reader that drops or misreads a member shows up as a difference.
template <class T, class To, class From>
void checkReportRoundTrip(const char* what, const T& value, To to, From from)
{
    const QJsonObject json = to(value);
    QVERIFY2(!json.isEmpty(), what);
    QCOMPARE(to(from(json)), json);
    const QJsonObject defaults = to(T());
    for (auto it = json.begin(); it != json.end(); ++it)
        QVERIFY2(it.value() != defaults.value(it.key()), qPrintable(QStringLiteral("%1: the test leaves '%2' at its default")
                                                                     .arg(QLatin1String(what), it.key())));
}
} // namespace

void TestJobsRegistry::reportsRoundTrip()
{
    // The model and the data, as every parameter file stores them (one writer, one reader).
    ModelSpec model{QStringLiteral("lenet5"), 100, 1, 28, 0.5, QStringLiteral("conv1=3,conv2=8")};
    checkReportRoundTrip("ModelSpec", model, [](const ModelSpec& m) { return toJson(m); }, modelSpecFromJson);
    DataSpec data;
    data.name = QStringLiteral("mnist");
    data.dir = QStringLiteral("/data/mnist");
    data.subset = 600;
    data.testSubset = 300;
    data.seed = 18446744073709551557ULL; // beyond a double's 53 bits: stored as text
    data.mean = {0.1307};
    data.std = {0.3081};
    data.resize = 32;
    data.channels = 3;
    data.augment = true;
    data.cropPadding = 2;
    data.testFraction = 0.25;
    data.valSubset = 500;
    checkReportRoundTrip("DataSpec", data, [](const DataSpec& d) { return toJson(d); }, dataSpecFromJson);
    QCOMPARE(dataSpecFromJson(toJson(data)).seed, data.seed);

    TrainSummary summary;
    summary.status = QStringLiteral("completed");
    summary.epochsDone = 3;
    summary.finalTestTop1 = 0.875;
    summary.finalTestTop5 = 0.99;
    summary.finalTestLoss = 0.41;
    summary.bestTestTop1 = 0.88;
    summary.trainSeconds = 12.5;
    summary.totalSeconds = 14.25;
    summary.params = 61706;
    summary.weightsPath = QStringLiteral("/runs/a/model.rlk");
    summary.extra.insert(QStringLiteral("skip_epochs"), 2);
    summary.finalValTop1 = 0.86;
    summary.finalValLoss = 0.45;
    checkReportRoundTrip("TrainSummary", summary, [](const TrainSummary& s) { return toJson(s); }, trainSummaryFromJson);
    QCOMPARE(trainSummaryFromJson(toJson(summary)).extra.value(QStringLiteral("skip_epochs")).toInt(), 2);

    EvalResult eval{0.5, 0.75, 1.25, 999};
    checkReportRoundTrip("EvalResult", eval, [](const EvalResult& e) { return toJson(e); }, evalResultFromJson);

    ron::SpectrumReport spectrum;
    spectrum.samples = 4096;
    spectrum.seconds = 3.5;
    spectrum.layers.push_back({5, QStringLiteral("features.10"), 2048, QStringLiteral("gram"), {9.5, 3.25, 0.125}, 17, 0.03});
    checkReportRoundTrip("SpectrumReport", spectrum, [](const ron::SpectrumReport& r) { return ron::toJson(r); },
                         ron::spectrumReportFromJson);
    checkReportRoundTrip("LayerSpectrum", spectrum.layers.first(), [](const ron::LayerSpectrum& l) { return ron::toJson(l); },
                         [](const QJsonObject& o) { return ron::spectrumReportFromJson(QJsonObject{{QStringLiteral("layers"), QJsonArray{o}}}).layers.value(0); });

    ron::RonReport built;
    built.status = QStringLiteral("completed");
    built.modifiedLayers = QStringLiteral("5 to 8");
    built.firstName = QStringLiteral("features.10");
    built.lastName = QStringLiteral("classifier.0");
    built.layers.push_back({5, QStringLiteral("features.10"), 2048, 40, 60, 38, 4.5, 3.25, 0.05, 0.07, 0.225, 0.09});
    built.teacherTop1 = 0.91, built.studentTop1 = 0.85, built.finetunedTop1 = 0.9;
    built.teacherTop5 = 0.995, built.studentTop5 = 0.98, built.finetunedTop5 = 0.99;
    built.teacherFlops = 1000000, built.studentFlops = 400000, built.teacherRangeFlops = 700000, built.studentRangeFlops = 100000;
    built.teacherParams = 500000, built.studentParams = 90000;
    built.rangeFlopReduction = 7, built.totalFlopReduction = 2.5;
    built.teacherLatency1Ms = 1.5, built.studentLatency1Ms = 0.5, built.teacherLatency64Ms = 30, built.studentLatency64Ms = 12;
    built.speedup1 = 3, built.speedup64 = 2.5, built.latencyThreads = 2, built.samples = 4096;
    built.buildSeconds = 8.5, built.finetuneSeconds = 20;
    built.studentWeights = QStringLiteral("/runs/r/student.rlk");
    checkReportRoundTrip("RonReport", built, [](const ron::RonReport& r) { return ron::toJson(r); }, ron::ronReportFromJson);
    // A build without fine-tuning stores null, not a made-up accuracy, and reads back as "not run".
    built.finetunedTop1 = -1;
    QVERIFY(ron::toJson(built).value(QStringLiteral("finetuned_top1")).isNull());
    QCOMPARE(ron::ronReportFromJson(ron::toJson(built)).finetunedTop1, -1.0);

    prune::PruneReport pruned;
    pruned.status = QStringLiteral("completed");
    pruned.model = QStringLiteral("lenet5");
    pruned.ratio = 0.5;
    pruned.channels = QStringLiteral("conv1=3,conv2=8");
    pruned.layers.push_back({1, QStringLiteral("conv1"), 6, 3});
    pruned.paramsBefore = 61706, pruned.paramsAfter = 30000, pruned.flopsBefore = 420000, pruned.flopsAfter = 200000;
    pruned.top1Before = 0.9, pruned.top1Pruned = 0.6, pruned.top1Finetuned = 0.88, pruned.finetuneEpochs = 2;
    pruned.weights = QStringLiteral("/runs/p/finetune/model.rlk");
    checkReportRoundTrip("PruneReport", pruned, [](const prune::PruneReport& r) { return prune::toJson(r); }, prune::pruneReportFromJson);

    basis::SanityRunResult sanity{QStringLiteral("qr-0.5"), QStringLiteral("/runs/s/runs/qr-0.5"), QStringLiteral("qr"), 0.5, 7, 40000,
                                  0.86, 33.5, 0.125};
    checkReportRoundTrip("SanityRunResult", sanity, [](const basis::SanityRunResult& r) { return basis::toJson(r); },
                         basis::sanityRunResultFromJson);

    basis::BasisLayerReport layer{4, QStringLiteral("layer2.0.conv1"), 64, 32, 8, 24, 0.25};
    checkReportRoundTrip("BasisLayerReport", layer, [](const basis::BasisLayerReport& r) { return basis::toJson(r); },
                         basis::basisLayerReportFromJson);

    basis::BasisSpec spec;
    spec.size = 0.5;
    spec.beta = 0.25;
    basis::LayerCost cost = basis::predictLayerCost(64, 128, 3, 8, 8, true, spec, QStringLiteral("layer2.0.conv1"));
    cost.index = 7;
    cost.name = QStringLiteral("layer2.0.conv1");
    cost.secondsConv = 0.004, cost.secondsWeight = 0.003, cost.secondsOutput = 0.0035, cost.secondsPair = 0.002;
    cost.measuredOverPredicted = 0.8;
    cost.accelerates = !basis::LayerCost().accelerates;
    checkReportRoundTrip("LayerCost", cost, [](const basis::LayerCost& c) { return basis::toJson(c); }, basis::layerCostFromJson);
    basis::CostReport costs{QStringLiteral("cifar_resnet18"), 0.5, 0.25, {cost, cost}};
    checkReportRoundTrip("CostReport", costs, [](const basis::CostReport& r) { return basis::toJson(r); }, basis::costReportFromJson);

    search::ValidationRow row;
    row.layers = {3, 5};
    row.mean = {{3, 5}, 0.01, 0.89, 100, 50000, 0.004, search::CompoundRule::Mean};
    row.sum = {{3, 5}, 0.04, 0.86, 90, 40000, 0.006, search::CompoundRule::Sum};
    row.accuracy = 0.88, row.accDrop = 0.02, row.seconds = 95, row.basisParams = 45000;
    row.runDir = QStringLiteral("point-1");
    row.testAccuracy = 0.87;
    checkReportRoundTrip("ValidationRow", row, [](const search::ValidationRow& r) { return search::toJson(r); },
                         search::validationRowFromJson);
    checkReportRoundTrip("CompoundEstimate", row.sum, [](const search::CompoundEstimate& e) { return search::toJson(e); },
                         search::compoundEstimateFromJson);
}

void TestJobsRegistry::typedDialogsRoundTrip()
{
    // What a hand-made dialog produces is stored as options; the kind parses them back to the same
    // options (the CLI's canonical text), so a dialog's job and a CLI job with these options are one job.
    basis::BasisTrainParams b;
    b.train.model = defaultModelSpec(QStringLiteral("lenet5"));
    b.train.epochs = 3;
    b.layers = QStringLiteral("1,2");
    b.basis.size = 0.25;
    b.basis.form = basis::BasisForm::Output;
    b.skipEpochs = 2;
    search::SweepParams s;
    s.train = b.train;
    s.groups = {{QStringLiteral("light"), QStringLiteral("1-2")}, {QStringLiteral("odd"), QStringLiteral("1,3")}};
    s.basis.size = 0.5;
    s.skipEpochs = 1;
    ron::RonParams r;
    r.model = b.train.model;
    r.weights = QStringLiteral("/w.rlk");
    r.layers = QStringLiteral("3-4");
    r.rank.kind = ron::RankRule::Kind::Factor;
    r.rank.factor = 4;
    r.finetune.epochs = 2;
    r.finetuneBatchNorm = true;
    ron::SpectrumParams sp;
    sp.model = b.train.model;
    sp.weights = QStringLiteral("/w.rlk");
    sp.samples = 1024;
    for (const Params& p : {kinds::basisTrainOptions(b), kinds::sweepOptions(s), kinds::ronOptions(r), kinds::spectrumOptions(sp)}) {
        const JobKind* k = JobKinds::find(p.command());
        QVERIFY(k);
        Params withOut = p;
        withOut.set(QStringLiteral("out"), QStringLiteral("x"));
        try {
            withOut.validate();
        } catch (const Error& e) {
            QFAIL(qPrintable(p.command() + QStringLiteral(": ") + QString::fromUtf8(e.what())));
        }
    }
    QCOMPARE(kinds::sweepOptions(s).command(), QStringLiteral("groups"));
    QCOMPARE(kinds::sweepOptions(s).list(QStringLiteral("group")), (QStringList{"light=1-2", "odd=1,3"}));
    QCOMPARE(kinds::ronOptions(r).value(QStringLiteral("rank")), QStringLiteral("factor:4"));
    QCOMPARE(kinds::basisTrainOptions(b).value(QStringLiteral("form")), QStringLiteral("output"));
}

void TestJobsRegistry::readJobRepointsTheRunFolder()
{
    QTemporaryDir dir;
    const JobKind* train = JobKinds::find(QStringLiteral("train"));
    Params p = train->params();
    p.parseCommandLine({"--model", "lenet5", "--epochs", "2", "--out", dir.filePath("a"), "--json"});
    QDir().mkpath(dir.filePath("a"));
    QJsonObject job = p.toJson({QStringLiteral("out"), QStringLiteral("resume")});
    io::writeJsonAtomic(jobFilePath(dir.filePath("a")), job);
    const Params again = readJob(dir.filePath("a"), dir.filePath("b"));
    QCOMPARE(again.value(QStringLiteral("out")), dir.filePath("b"));
    QVERIFY(!again.isSet(QStringLiteral("resume")));
    QCOMPARE(again.value(QStringLiteral("epochs")), QStringLiteral("2"));
    const Params inPlace = readJob(dir.filePath("a"), QString());
    QCOMPARE(inPlace.value(QStringLiteral("out")), dir.filePath("a"));
    QVERIFY(inPlace.isSet(QStringLiteral("resume")));
    try {
        readJob(dir.filePath("nothing"), QString());
        QFAIL("a folder without job.json was accepted");
    } catch (const Error& e) {
        QVERIFY(QString::fromUtf8(e.what()).contains(QLatin1String("holds no job.json")));
    }
}

void TestJobsRegistry::aNewKindIsOneRegistration()
{
    // A tiny real kind, added the way HACKING.md describes: a schema, a runner, one add().
    JobKind k;
    k.id = QStringLiteral("count-layers");
    k.title = QStringLiteral("Count layers");
    k.menu = QStringLiteral("Model");
    k.summary = QStringLiteral("how many conv and linear layers a model has");
    k.help = k.summary;
    addModelParams(k.schema, false);
    addOutputParams(k.schema, false);
    k.run = [](const Params& p, JobContext&) {
        JobResult r;
        const ModelSpec spec = modelSpecFrom(p, false);
        r.report = QJsonObject{{QStringLiteral("model"), spec.name}};
        r.text = spec.name;
        return r;
    };
    JobKinds::add(k);
    const JobKind* found = JobKinds::find(QStringLiteral("count-layers"));
    QVERIFY(found);
    Params p = found->params();
    p.parseCommandLine({"--model", "lenet5"});
    QuietJobContext context;
    QCOMPARE(runJob(*found, p, context).text, QStringLiteral("lenet5"));
    QVERIFY_THROWS_EXCEPTION(Error, JobKinds::add(k)); // ids are unique
}

QTEST_GUILESS_MAIN(TestJobsRegistry)
#include "test_jobs_registry.moc"
