// Renders the HTML scope report in headless Chromium (Debian's `chromium`) with every network
// path closed, then checks the rendered DOM for the charts and figures and takes a screenshot.
// Skips when /usr/bin/chromium is absent; appliance/install-deps.sh installs it.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "control/forensics/scope_render.h"
#include "tests/unit/control/forensics/scope_fixtures.h"

namespace sluice::control::forensics {
namespace {

using testing::Call;

constexpr char kChromium[] = "/usr/bin/chromium";

// 25 GET /accounts/{id} (every fifth a 404), 8 POST /login, 4 DELETE /orders/{id} with status
// 500: 37 calls, 3 functions, 2 PII types.
std::vector<TransactionRow> Rows() {
  std::vector<TransactionRow> rows;
  for (int i = 0; i < 25; ++i) {
    Call call(i * 60);
    call.Path("/accounts/{id}", "/accounts/" + std::to_string(i));
    if (i % 5 == 0) {
      call.Status(404).Bytes(30);
    } else {
      call.Bytes(400).Pii("email", 1, {"e" + std::to_string(i)}).Pii("phone", 1, {"p" + std::to_string(i)});
    }
    rows.push_back(call);
  }
  for (int i = 0; i < 8; ++i) rows.push_back(Call(i * 120 + 5).Method("POST").Path("/login", "/login"));
  for (int i = 0; i < 4; ++i) {
    rows.push_back(Call(i * 300 + 7).Method("DELETE").Status(500)
                       .Path("/orders/{id}", "/orders/<script>document.title='pwned'</script>"));
  }
  return rows;
}

class ScopeChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kChromium, X_OK) != 0) {
      GTEST_SKIP() << kChromium << " not found; install Debian's chromium package "
                   << "(appliance/install-deps.sh) to run this test";
    }
    std::string pattern = ::testing::TempDir() + "sluice-scope-chromium-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp failed for " << pattern;
    dir_ = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // Runs Chromium on `page` with `mode` (--dump-dom or --screenshot=...) and returns stdout.
  // Host resolution fails for every name and the proxy is a closed loopback port, so the page
  // could fetch nothing even if it tried. The profile, HOME and caches live in the test's own
  // directory, and each run is killed after 15 s so three runs stay within the test's limit.
  std::string RunChromium(const std::string& page, const std::string& mode) {
    const std::string command =
        "env HOME='" + dir_ + "' XDG_CONFIG_HOME='" + dir_ + "/config' XDG_CACHE_HOME='" + dir_ +
        "/cache' timeout 15 " + kChromium +
        " --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions"
        " --disable-background-networking --disable-sync --disable-component-update"
        " --disable-default-apps --host-resolver-rules='MAP * ~NOTFOUND'"
        " --proxy-server=127.0.0.1:9 --window-size=1200,2000 --user-data-dir='" + dir_ +
        "/profile' " + mode + " 'file://" + page + "' 2>'" + dir_ + "/chromium.log'";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    char buffer[65536];
    size_t read = 0;
    while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << "chromium failed; its log: " << ReadFile(dir_ + "/chromium.log");
    return output;
  }

  std::string WriteReport() {
    IntegrityStatus integrity;
    integrity.state = IntegrityStatus::State::kBroken;
    integrity.segments_checked = 9;
    integrity.broken_segments = {{"seg-000004.zst", "hash chain mismatch"}};
    std::ofstream out(dir_ + "/report.html");
    const int code = RunScopeCommand({}, Rows(), {}, integrity, OutputFormat::kHtml, out);
    EXPECT_EQ(code, kScopeExitOk);
    return dir_ + "/report.html";
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
};

// Returns the markup of the element that starts with `<svg id="ID"`, up to its </svg>.
std::string Svg(const std::string& dom, const std::string& id) {
  const size_t start = dom.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  const size_t end = dom.find("</svg>", start);
  return end == std::string::npos ? std::string() : dom.substr(start, end - start);
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Sums the numbers in every `name="N"` attribute of `text`.
uint64_t SumAttribute(const std::string& text, const std::string& name) {
  uint64_t sum = 0;
  const std::string needle = name + "=\"";
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    sum += std::stoull(text.substr(at + needle.size()));
  }
  return sum;
}

TEST_F(ScopeChromium, DomHasChartsAndFigures) {
  const std::string dom = RunChromium(WriteReport(), "--dump-dom");
  ASSERT_NE(dom.find("<html"), std::string::npos) << "no DOM from chromium: " << dom.substr(0, 200);

  // The hostile path stayed text: no script element, and the title is ours.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("pwned</title>"), std::string::npos);
  EXPECT_NE(dom.find("<title>Sluice scope report: all records</title>"), std::string::npos);

  const std::string timeline = Svg(dom, "chart-timeline");
  ASSERT_FALSE(timeline.empty());
  // The buckets hold all 37 calls, and so do their segments, one per status class present.
  uint64_t segment_calls = 0;
  for (const char* css : {"s2xx", "s4xx", "s5xx"}) {
    const std::string needle = "class=\"bar " + std::string(css) + "\"";
    EXPECT_GT(CountOf(timeline, needle), 0u) << css;
  }
  const std::string marker = "data-calls=\"";
  size_t bucket_calls = 0;
  for (size_t at = timeline.find("<g class=\"bucket\""); at != std::string::npos;
       at = timeline.find("<g class=\"bucket\"", at + 1)) {
    bucket_calls += std::stoull(timeline.substr(timeline.find(marker, at) + marker.size()));
  }
  for (size_t at = timeline.find("<rect class=\"bar "); at != std::string::npos;
       at = timeline.find("<rect class=\"bar ", at + 1)) {
    segment_calls += std::stoull(timeline.substr(timeline.find(marker, at) + marker.size()));
  }
  EXPECT_EQ(bucket_calls, 37u);
  EXPECT_EQ(segment_calls, 37u);
  EXPECT_NE(timeline.find("data-total=\"37\""), std::string::npos);

  const std::string endpoints = Svg(dom, "chart-endpoints");
  EXPECT_EQ(CountOf(endpoints, "<rect class=\"bar\""), 3u);
  EXPECT_EQ(SumAttribute(endpoints, "data-value"), 40u);  // 20 emails + 20 phones, one function
  const std::string types = Svg(dom, "chart-pii-types");
  EXPECT_EQ(CountOf(types, "<rect class=\"bar\""), 2u);
  EXPECT_EQ(SumAttribute(types, "data-value"), 40u);

  EXPECT_NE(dom.find("id=\"total-calls\">37<"), std::string::npos);
  EXPECT_NE(dom.find("id=\"total-items\">40<"), std::string::npos);
  EXPECT_NE(dom.find("id=\"depth\" class=\"badge deep\">deep<"), std::string::npos);
  EXPECT_NE(dom.find("id=\"breadth\" class=\"badge broad\">broad<"), std::string::npos);
  EXPECT_NE(dom.find("data-state=\"broken\""), std::string::npos);
  EXPECT_NE(dom.find("seg-000004.zst: hash chain mismatch"), std::string::npos);
  EXPECT_NE(dom.find("id=\"evidence\" data-listed=\"37\" data-omitted=\"0\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"thresholds\""), std::string::npos);
}

TEST_F(ScopeChromium, ScreenshotIsNonTrivialPng) {
  std::ofstream(dir_ + "/blank.html") << "<!DOCTYPE html><html><body></body></html>";
  RunChromium(dir_ + "/blank.html", "--screenshot='" + dir_ + "/blank.png'");
  RunChromium(WriteReport(), "--screenshot='" + dir_ + "/report.png'");

  const std::string blank = ReadFile(dir_ + "/blank.png");
  const std::string png = ReadFile(dir_ + "/report.png");
  ASSERT_GT(png.size(), 24u) << "no screenshot; chromium log: " << ReadFile(dir_ + "/chromium.log");
  EXPECT_EQ(png.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0);
  EXPECT_EQ(png.compare(12, 4, "IHDR"), 0);
  const auto be32 = [&png](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), 1200u);
  EXPECT_EQ(be32(20), 2000u);
  // A page of tables and charts compresses far worse than an empty page of the same size.
  ASSERT_GT(blank.size(), 0u);
  EXPECT_GT(png.size(), 3 * blank.size()) << "report " << png.size() << " bytes, blank "
                                          << blank.size() << " bytes";
}

}  // namespace
}  // namespace sluice::control::forensics
