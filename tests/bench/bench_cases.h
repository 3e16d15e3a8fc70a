#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ranklab::bench {

struct Case {
    std::string summary;
    std::function<int(int repeats)> run;
};

/// Every benchmark case by name; each case file registers itself with a static CaseRegistration.
std::map<std::string, Case>& cases();

struct CaseRegistration {
    CaseRegistration(const std::string& name, Case c) { cases().emplace(name, std::move(c)); }
};

/// Median of a non-empty sample.
double median(std::vector<double> values);

} // namespace ranklab::bench
