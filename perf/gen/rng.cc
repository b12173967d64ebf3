#include "perf/gen/rng.h"

#include <cmath>

namespace sluice::gen {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  x += 0x9e3779b97f4a7c15ULL;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : state_) word = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t bound) {
  // Multiply-and-shift with rejection, so every value in [0, bound) is equally likely.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const __uint128_t product = static_cast<__uint128_t>(Next()) * bound;
    if (static_cast<uint64_t>(product) >= threshold) return static_cast<uint64_t>(product >> 64);
  }
}

int64_t Rng::Between(int64_t low, int64_t high) {
  return low + static_cast<int64_t>(Below(static_cast<uint64_t>(high - low) + 1));
}

double Rng::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Rng::Chance(double probability) { return Unit() < probability; }

double Rng::Exponential(double mean) { return -mean * std::log(1.0 - Unit()); }

double Rng::LogNormal(double median, double sigma) {
  // Box-Muller; only the cosine branch is used so each call consumes exactly two draws.
  const double u1 = 1.0 - Unit();
  const double u2 = Unit();
  const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return median * std::exp(sigma * normal);
}

int Rng::Pick(const double* weights, int count) {
  double total = 0;
  for (int i = 0; i < count; ++i) total += weights[i];
  double point = Unit() * total;
  for (int i = 0; i < count; ++i) {
    if (point < weights[i]) return i;
    point -= weights[i];
  }
  return count - 1;
}

Rng Rng::Fork() { return Rng(Next()); }

}  // namespace sluice::gen
