// RecordBuilder::SplitTarget: the path and query that records, rules and PII detection use.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dataplane/record/record_builder.h"

namespace sluice::record {
namespace {

struct SplitCase {
  std::string target;
  std::string path;
  std::string query;
};

TEST(SplitTarget, PathAndQuery) {
  const SplitCase cases[] = {
      {"/a/b?x=1&y=2", "/a/b", "x=1&y=2"},
      {"/a/b", "/a/b", ""},
      {"/a?", "/a", ""},
      {"*", "*", ""},
      {"http://host/a?x=1", "/a", "x=1"},
      {"http://host", "/", ""},
      // Without a path the authority ends at '?': the rest is still the query.
      {"http://host?mail=a@b.com", "/", "mail=a@b.com"},
      {"http://host?x=/a@b.com", "/", "x=/a@b.com"},
      {"http://host#frag", "/", ""},
      {"http://host:8080/p/q?r", "/p/q", "r"},
      // "://" after the first '/' is part of the path, not a scheme.
      {"/redirect?to=http://other/x", "/redirect", "to=http://other/x"},
      // Nor is "://" after a '?', or after a name that is not a scheme: the query stays whole.
      {"x?mail=a@b.com&r=http://e/f", "x", "mail=a@b.com&r=http://e/f"},
      {"1x://host/p?q", "1x://host/p", "q"},
  };
  for (const SplitCase& c : cases) {
    std::string_view path;
    std::string_view query;
    RecordBuilder::SplitTarget(c.target.data(), static_cast<uint32_t>(c.target.size()), &path, &query);
    EXPECT_EQ(path, c.path) << c.target;
    EXPECT_EQ(query, c.query) << c.target;
  }
}

}  // namespace
}  // namespace sluice::record
