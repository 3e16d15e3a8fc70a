#include "core/jobs/basis_train_job.h"

#include <QDir>
#include <QFileInfo>

namespace ranklab {

BasisTrainJob::BasisTrainJob(basis::BasisTrainParams params, QString runDir, QObject* parent)
    : Job(QStringLiteral("basis-train"), params.train.model.name, std::move(runDir), parent), params_(std::move(params))
{
}

QJsonObject BasisTrainJob::run()
{
    const bool resume = QFileInfo::exists(QDir(runDir()).filePath(QStringLiteral("params.json")));
    return toJson(basis::runBasisTraining(params_, runDir(), resume, forwardingCallbacks(), cancelFlag()));
}

Job* BasisTrainJob::rerun(const QString& runDir) const
{
    return new BasisTrainJob(params_, runDir);
}

} // namespace ranklab
