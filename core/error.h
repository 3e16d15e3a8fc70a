#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include <QString>

namespace ranklab {

/// The one exception type core throws for anything a user can cause: a missing or corrupt file, a wrong
/// shape, an impossible option. what() is a single sentence that names the problem and is shown as-is
/// (CLI: on stderr with exit 1; GUI: in a dialog).
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& sentence) : std::runtime_error(sentence) {}
    explicit Error(const QString& sentence) : std::runtime_error(sentence.toStdString()) {}
    explicit Error(const char* sentence) : std::runtime_error(sentence) {}
};

/// An Error caused by an option value that can only be judged once the model or the data are known (a
/// layer index past the last layer, `--layers fc` on a model without such a layer, a zero standard
/// deviation). The CLI treats it as a usage error (exit 2), like the options it checks before starting.
class OptionError final : public Error {
public:
    using Error::Error;
};

/// Any exception as one sentence for a user: ranklab::Error as it is; a LibTorch c10::Error (or any other
/// std::exception) as its first line without backtrace, source location or "[enforce fail …]" prefix,
/// prefixed "internal error: "; std::bad_alloc as "not enough memory …". Used at every edge (CLI main, job
/// runner, GUI) so that no LibTorch backtrace ever reaches the user.
QString errorSentence(const std::exception& error);

/// For the CLI: keeps library chatter off stderr so that an error is the one sentence the user reads —
/// LibTorch's warnings (TorchScript loading, deprecations) and Qt's debug and warning messages (image
/// plugins relaying libpng's "iCCP" notes, …) are dropped unless the environment sets RANKLAB_VERBOSE=1.
/// Critical and fatal Qt messages still print. Applies to the calling thread's LibTorch warnings.
void silenceLibraryMessages();

} // namespace ranklab
