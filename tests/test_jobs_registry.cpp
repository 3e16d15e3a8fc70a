// The job-kind registry: every command is a registered kind whose parameters are declared once; the
// declaration checks values the same way everywhere, survives a parameter file / job.json round trip, and
// the typed structs of the GUI's dialogs map to exactly the options their kind parses back.
#include <QtTest>

#include <QTemporaryDir>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/jobs/common_params.h"
#include "core/jobs/job_kind.h"
#include "core/jobs/kinds/typed_options.h"
#include "core/jobs/param_file.h"
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
                               "sweep", "groups", "pareto", "proxy-sweep", "spectrum", "ron"};
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
                p.set(d.name, d.type == ParamType::Choice ? d.choices.first() : QStringLiteral("x"));
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
