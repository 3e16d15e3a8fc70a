#pragma once
// Torch-free: text from a file, made fit to stand inside a one-sentence error message.

#include <QString>

namespace ranklab {

/// `text` as it may appear inside a one-line message: control characters (a NUL would end the C string
/// that Error::what() returns and the CLI prints, a newline would split the sentence) become \xNN escapes,
/// and text past `maxChars` characters is cut with "…".
inline QString printableText(const QString& text, int maxChars = 120)
{
    QString out;
    for (const QChar c : text.left(maxChars)) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return text.size() > maxChars ? out + QStringLiteral("…") : out;
}

/// The same for bytes of a file (std::string from a pickle or a zip directory).
inline QString printableText(const std::string& text, int maxChars = 120)
{
    return printableText(QString::fromStdString(text), maxChars);
}

} // namespace ranklab
