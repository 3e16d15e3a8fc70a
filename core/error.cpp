#include "core/error.h"

#include <cstdio>
#include <new>

#include <QtGlobal>

#include "core/io/torch_pickle.h"

namespace ranklab {

QString errorSentence(const std::exception& error)
{
    if (dynamic_cast<const Error*>(&error))
        return QString::fromUtf8(error.what());
    if (dynamic_cast<const std::bad_alloc*>(&error))
        return QStringLiteral("not enough memory: an allocation failed; choose a smaller model, batch or data subset.");
    const QString text = io::pickle::torchErrorText(error);
    if (text.contains(QLatin1String("not enough memory")) || text.contains(QLatin1String("DefaultCPUAllocator")))
        return QStringLiteral("not enough memory (%1); choose a smaller model, batch or data subset.").arg(text);
    return QStringLiteral("internal error: %1.").arg(text);
}

namespace {
class QuietTorchWarnings final : public c10::WarningHandler {
public:
    void process(const c10::SourceLocation&, const std::string&, const bool) override {}
};

void quietQtMessages(QtMsgType type, const QMessageLogContext&, const QString& message)
{
    if (type == QtCriticalMsg || type == QtFatalMsg)
        std::fprintf(stderr, "%s\n", qPrintable(message));
}
} // namespace

void silenceLibraryMessages()
{
    if (qEnvironmentVariableIntValue("RANKLAB_VERBOSE") > 0)
        return;
    static QuietTorchWarnings quiet;
    c10::Warning::set_warning_handler(&quiet);
    qInstallMessageHandler(quietQtMessages);
}

} // namespace ranklab
