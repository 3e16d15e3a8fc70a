#pragma once

#include <stdexcept>
#include <string>

#include <QString>

namespace ranklab {

/// The one exception type core throws for anything a user can cause: a missing or corrupt file, a wrong
/// shape, an impossible option. what() is a single sentence that names the problem and is shown as-is
/// (CLI: on stderr with exit 1; GUI: in a dialog).
class Error final : public std::runtime_error {
public:
    explicit Error(const std::string& sentence) : std::runtime_error(sentence) {}
    explicit Error(const QString& sentence) : std::runtime_error(sentence.toStdString()) {}
    explicit Error(const char* sentence) : std::runtime_error(sentence) {}
};

} // namespace ranklab
