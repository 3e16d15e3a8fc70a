// ranklab-bench: benchmark programs (not tests). Each case prints ratios measured side by side in one
// run, with the median of repeats, because the machines are shared and absolute times alone mean little.
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include <QCoreApplication>

#include "tests/bench/bench_cases.h"

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const auto& cases = ranklab::bench::cases();
    if (argc < 2 || std::strcmp(argv[1], "--list") == 0 || std::strcmp(argv[1], "--help") == 0) {
        std::printf("Usage: ranklab-bench <case> [--repeats N]\nCases:\n");
        for (const auto& [name, c] : cases)
            std::printf("  %-20s %s\n", name.c_str(), c.summary.c_str());
        return argc < 2 ? 2 : 0;
    }
    int repeats = 3;
    for (int i = 2; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--repeats") == 0)
            repeats = std::max(1, std::atoi(argv[i + 1]));
    const auto it = cases.find(argv[1]);
    if (it == cases.end()) {
        std::fprintf(stderr, "ranklab-bench: unknown case '%s' (see --list).\n", argv[1]);
        return 2;
    }
    try {
        return it->second.run(repeats);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ranklab-bench %s: error: %s\n", argv[1], e.what());
        return 1;
    }
}
