// LruTable against a plain model (a list in recency order): random lookups and inserts over a
// small key space, so that hits, misses and evictions all occur.
#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <list>
#include <random>
#include <utility>
#include <vector>

#include "dataplane/detect/lru_table.h"

namespace sluice::detect {
namespace {

struct TestEntry {
  uint64_t key_a = 0;
  uint64_t key_b = 0;
  uint64_t value = 0;
};

using Key = std::pair<uint64_t, uint64_t>;

TEST(LruTableTest, MatchesRecencyModel) {
  constexpr uint32_t kCapacity = 37;
  LruTable<TestEntry> table(kCapacity);
  std::list<Key> model;  // most recently used first
  uint64_t evictions = 0;
  std::mt19937_64 random(3);
  std::vector<Key> keys;
  for (int i = 0; i < 80; ++i) keys.emplace_back(random(), i % 3 == 0 ? 0 : random());

  for (int step = 0; step < 200000; ++step) {
    const Key key = keys[random() % keys.size()];
    auto in_model = model.begin();
    while (in_model != model.end() && *in_model != key) ++in_model;
    const bool present = in_model != model.end();

    if (step % 4 == 0) {  // Find changes nothing
      TestEntry* found = table.Find(key.first, key.second);
      ASSERT_EQ(found != nullptr, present);
      if (found != nullptr) {
        EXPECT_EQ(found->value, key.first ^ key.second);
      }
      continue;
    }
    bool created = false;
    TestEntry& entry = table.FindOrInsert(key.first, key.second, &created);
    ASSERT_EQ(created, !present);
    if (present) {
      model.erase(in_model);
      EXPECT_EQ(entry.value, key.first ^ key.second);
    } else {
      EXPECT_EQ(entry.value, 0u);  // a new entry starts value-initialised
      entry.value = key.first ^ key.second;
      if (model.size() == kCapacity) {
        model.pop_back();
        ++evictions;
      }
    }
    model.push_front(key);
    ASSERT_EQ(table.size(), model.size());
    ASSERT_EQ(table.evictions(), evictions);
  }

  // The recency order, walked from the most recent entry.
  uint32_t position = table.most_recent();
  for (const Key& key : model) {
    ASSERT_NE(position, LruTable<TestEntry>::kNone);
    EXPECT_EQ(table.at(position).key_a, key.first);
    EXPECT_EQ(table.at(position).key_b, key.second);
    position = table.next_older(position);
  }
  EXPECT_EQ(position, LruTable<TestEntry>::kNone);
  EXPECT_GT(evictions, 1000u);
}

}  // namespace
}  // namespace sluice::detect
