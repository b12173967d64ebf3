#pragma once

#include <cstdint>

namespace sluice::gen {

// Seeded pseudo-random source for the capture generator: xoshiro256** with a splitmix64 seed
// expansion. The generator avoids std::*_distribution because their output differs between
// standard libraries, and one seed must give the same capture bytes everywhere.
// NOTE: LogNormal() and Exponential() use std::log and std::exp. A libm with different rounding
// could change a timestamp by a nanosecond, so byte-identical output is only promised per build.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();
  // Returns a value in [0, bound); bound must be greater than zero.
  uint64_t Below(uint64_t bound);
  // Returns a value in [low, high], both inclusive.
  int64_t Between(int64_t low, int64_t high);
  // Returns a value in [0, 1).
  double Unit();
  bool Chance(double probability);
  double Exponential(double mean);
  // Log-normal variate with the given median and shape parameter sigma.
  double LogNormal(double median, double sigma);
  // Picks an index with probability proportional to weights[i].
  int Pick(const double* weights, int count);

  // Derives an independent stream, so one part of the model (for example one connection) can draw
  // values without shifting what every later part draws.
  Rng Fork();

 private:
  uint64_t state_[4];
};

}  // namespace sluice::gen
