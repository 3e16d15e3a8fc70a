// fuzz_replay, the fuzz targets outside a libFuzzer build: `fuzz_replay TARGET DIR|FILE…` feeds every file
// of the folders (or files) given to the target's LLVMFuzzerTestOneInput once, so every seed and every
// regression input runs in the normal test suite. A crash, an abort of fuzz_input.h's checks or an exception
// other than ranklab::Error fails the test. All targets share this one executable: their entry points are
// renamed per source file (tests/fuzz/CMakeLists.txt) and listed in the generated replay_targets.inc.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

struct ReplayTarget {
    const char* name;
    int (*testOneInput)(const uint8_t*, size_t);
    int (*initialize)(int*, char***);
};
#include "replay_targets.inc"

int main(int argc, char** argv)
{
    const ReplayTarget* target = nullptr;
    for (const ReplayTarget& t : kReplayTargets)
        if (argc > 1 && std::string(argv[1]) == t.name)
            target = &t;
    if (!target) {
        std::fprintf(stderr, "usage: fuzz_replay TARGET DIR|FILE…, TARGET one of:");
        for (const ReplayTarget& t : kReplayTargets)
            std::fprintf(stderr, " %s", t.name);
        std::fprintf(stderr, "\n");
        return 2;
    }
    target->initialize(&argc, &argv);
    QStringList files;
    for (int i = 2; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        if (QFileInfo(arg).isDir()) {
            QDirIterator it(arg, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
            QStringList inDir;
            while (it.hasNext())
                inDir << it.next();
            inDir.sort();
            files << inDir;
        } else if (QFileInfo(arg).isFile()) {
            files << arg;
        } // a missing folder (no regressions yet) is fine
    }
    for (const QString& file : files) {
        std::ifstream in(QFile::encodeName(file).toStdString(), std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("%s (%zu bytes)\n", qPrintable(file), bytes.size());
        std::fflush(stdout);
        target->testOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("replayed %lld inputs\n", static_cast<long long>(files.size()));
    if (files.isEmpty()) {
        std::fprintf(stderr, "no input found: the seed corpus is missing.\n");
        return 1;
    }
    return 0;
}
