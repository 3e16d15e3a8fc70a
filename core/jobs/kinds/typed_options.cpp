#include "core/jobs/kinds/typed_options.h"

#include <QLocale>

#include "core/error.h"
#include "core/jobs/common_params.h"

namespace ranklab::kinds {

namespace {

QString num(double v)
{
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

Params paramsOf(const QString& id)
{
    const JobKind* kind = JobKinds::find(id);
    if (!kind)
        throw Error(QStringLiteral("the job kind '%1' is not registered.").arg(id));
    return kind->params();
}

void setBasis(Params& p, const basis::BasisSpec& b)
{
    p.set(QStringLiteral("size"), num(b.size));
    p.set(QStringLiteral("beta"), num(b.beta));
    p.set(QStringLiteral("form"), basis::formName(b.form));
    p.set(QStringLiteral("init"), basis::initName(b.init));
}

/// Model, data and the streaming options spectrum and ron share.
template <class Streaming>
void setStreaming(Params& p, const Streaming& s)
{
    setModelParams(p, s.model);
    if (s.model.inChannels == 0)
        p.unset(QStringLiteral("in-channels"));
    if (s.model.inputSize == 0)
        p.unset(QStringLiteral("input-size"));
    setDataParams(p, s.data);
    p.set(QStringLiteral("weights"), s.weights);
    p.set(QStringLiteral("samples"), QString::number(s.samples));
    p.set(QStringLiteral("method"), ron::sketchMethodName(s.method));
    p.set(QStringLiteral("sketch-size"), QString::number(s.sketchSize));
    p.set(QStringLiteral("stream-batch"), QString::number(s.batchSize));
    p.set(QStringLiteral("threads"), QString::number(s.threads));
}

} // namespace

Params trainOptions(const TrainParams& params)
{
    Params p = paramsOf(QStringLiteral("train"));
    setTrainParams(p, params);
    return p;
}

Params basisTrainOptions(const basis::BasisTrainParams& params)
{
    Params p = paramsOf(QStringLiteral("basis-train"));
    setTrainParams(p, params.train);
    p.set(QStringLiteral("layers"), params.layers);
    setBasis(p, params.basis);
    p.set(QStringLiteral("skip"), QString::number(params.skipEpochs));
    return p;
}

Params sweepOptions(const search::SweepParams& params)
{
    Params p = paramsOf(params.groups.isEmpty() ? QStringLiteral("sweep") : QStringLiteral("groups"));
    setTrainParams(p, params.train);
    if (params.groups.isEmpty()) {
        p.set(QStringLiteral("layers"), params.layers);
    } else {
        QStringList groups;
        for (const search::LayerGroup& g : params.groups)
            groups << g.name + QLatin1Char('=') + g.layers;
        p.setList(QStringLiteral("group"), groups);
    }
    setBasis(p, params.basis);
    if (params.skipEpochs > 0)
        p.set(QStringLiteral("skip"), QString::number(params.skipEpochs));
    p.set(QStringLiteral("workers"), QString::number(params.workers));
    p.set(QStringLiteral("seeds"), QString::number(params.seeds));
    return p;
}

void setSlurmOptions(Params& p, const cluster::SlurmOptions& o)
{
    const auto text = [&p](const char* name, const QString& value) {
        if (value.isEmpty())
            p.unset(QString::fromLatin1(name));
        else
            p.set(QString::fromLatin1(name), value);
    };
    text("partition", o.partition);
    text("account", o.account);
    text("qos", o.qos);
    text("time", o.time);
    text("mem", o.mem);
    text("gres", o.gres);
    text("cli-path", o.cli);
    p.set(QStringLiteral("cpus-per-task"), QString::number(o.cpusPerTask));
    p.set(QStringLiteral("max-concurrent"), QString::number(o.maxConcurrent));
    p.setList(QStringLiteral("sbatch-line"), o.extraLines);
}

cluster::SlurmOptions slurmOptionsOf(const Params& p)
{
    cluster::SlurmOptions o;
    o.partition = p.value(QStringLiteral("partition")).trimmed();
    o.account = p.value(QStringLiteral("account")).trimmed();
    o.qos = p.value(QStringLiteral("qos")).trimmed();
    o.time = p.value(QStringLiteral("time")).trimmed();
    o.cpusPerTask = p.value(QStringLiteral("cpus-per-task")).toInt();
    o.mem = p.value(QStringLiteral("mem")).trimmed();
    o.gres = p.value(QStringLiteral("gres")).trimmed();
    o.extraLines = p.list(QStringLiteral("sbatch-line"));
    o.cli = p.value(QStringLiteral("cli-path")).trimmed();
    o.maxConcurrent = p.value(QStringLiteral("max-concurrent")).toInt();
    return o;
}

Params spectrumOptions(const ron::SpectrumParams& params)
{
    Params p = paramsOf(QStringLiteral("spectrum"));
    setStreaming(p, params);
    p.set(QStringLiteral("layers"), params.layers);
    return p;
}

Params ronOptions(const ron::RonParams& params)
{
    Params p = paramsOf(QStringLiteral("ron"));
    setStreaming(p, params);
    p.set(QStringLiteral("layers"), params.layers);
    p.set(QStringLiteral("rank"), ron::rankRuleText(params.rank));
    p.set(QStringLiteral("rows-ratio"), num(params.rowsRatio));
    if (params.rowsTolerance > 0)
        p.set(QStringLiteral("rows-tol"), num(params.rowsTolerance));
    p.set(QStringLiteral("held-out"), QString::number(params.heldOut));
    p.set(QStringLiteral("latency-repeats"), QString::number(params.latencyRepeats));
    p.set(QStringLiteral("latency-threads"), QString::number(params.latencyThreads));
    p.set(QStringLiteral("finetune-epochs"), QString::number(params.finetune.epochs));
    p.set(QStringLiteral("finetune-lr"), num(params.finetune.lr));
    p.set(QStringLiteral("finetune-batch"), QString::number(params.finetune.batchSize));
    if (params.finetuneBatchNorm)
        p.set(QStringLiteral("finetune-bn"), QStringLiteral("1"));
    p.set(QStringLiteral("finetune-dropout"), num(params.finetuneDropout));
    p.set(QStringLiteral("weight-decay"), num(params.finetune.weightDecay));
    p.set(QStringLiteral("seed"), QString::number(params.finetune.seed));
    return p;
}

} // namespace ranklab::kinds
