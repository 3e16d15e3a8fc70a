#pragma once
// Running ranklab-cli from a test (test_cli*.cpp get RANKLAB_CLI, the path of the built executable).

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

namespace ranklab::testing {

/// Exit code (-1 if the process crashed or timed out) and both output streams of one CLI run.
struct CliResult {
    int code = -1;
    QByteArray out, err;
};

inline CliResult runCli(const QStringList& args, int timeoutMs = 300000)
{
    QProcess p;
    p.start(QStringLiteral(RANKLAB_CLI), args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
}

/// The last line of `out` parsed as a JSON object (the `--json` result line).
inline QJsonObject lastJsonLine(const QByteArray& out)
{
    return QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
}

/// Exactly one error line on stderr (progress lines may precede it), containing `mustContain` and ending
/// with a full stop: the CLI contract's one clear sentence.
inline bool oneClearSentence(const QByteArray& err, const char* mustContain)
{
    QList<QByteArray> errors;
    for (const QByteArray& line : err.split('\n'))
        if (line.contains("error:"))
            errors << line;
    return errors.size() == 1 && errors.first().contains(mustContain) && errors.first().trimmed().endsWith('.');
}

} // namespace ranklab::testing
