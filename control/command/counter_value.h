// A counter as the command channel carries it: a stable dotted name, its value and a sentence
// saying what a high value means.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::control {

struct CounterValue {
  std::string name;
  uint64_t value = 0;
  std::string meaning;
  bool gauge = false;  // a level that can fall, not a running total
};

using CounterList = std::vector<CounterValue>;

}  // namespace sluice::control
