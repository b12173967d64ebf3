// libFuzzer target for PII detection on hostile bytes. FindPiiCandidates() must report exactly
// what Hyperscan reports for the patterns of pii_detectors.cc (block mode, start of match).
// A body fed to PiiScanner in two pieces, cut where the first input byte selects, must give the
// same counts as one block scan of the same bytes. The spans redaction uses (values and URL
// secrets) must lie inside the text, sorted and apart, and MayContainPii() must never return
// false for text in which a value is found. The body decoders (JSON escapes, form encoding) must
// give the same bytes for the text in two pieces as in one, and never more bytes than they read.
#include <hs/hs.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "dataplane/inspect/form_decode.h"
#include "dataplane/inspect/json_unescape.h"
#include "matchers/pii/pii_detectors.h"
#include "matchers/pii/pii_finder.h"
#include "matchers/pii/pii_scanner.h"
#include "matchers/pii/redact.h"

namespace {

using sluice::matchers::PiiType;
using Candidate = std::tuple<unsigned, size_t, size_t>;  // type, from, to

constexpr unsigned kPatternTypeCount = 8;  // kEmail to kPemPrivateKey

struct Reference {
  hs_database_t* database = nullptr;
  hs_scratch_t* scratch = nullptr;

  Reference() {
    std::vector<std::string> expressions;
    std::vector<const char*> pointers;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (unsigned type = 0; type < kPatternTypeCount; ++type) {
      expressions.emplace_back(sluice::matchers::PiiPatternExpression(static_cast<PiiType>(type)));
      flags.push_back(HS_FLAG_SOM_LEFTMOST);
      ids.push_back(type);
    }
    for (const std::string& e : expressions) pointers.push_back(e.c_str());
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(pointers.data(), flags.data(), ids.data(), kPatternTypeCount,
                         HS_MODE_BLOCK, nullptr, &database, &error) != HS_SUCCESS ||
        hs_alloc_scratch(database, &scratch) != HS_SUCCESS) {
      std::abort();
    }
  }
};

int Collect(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* context) {
  static_cast<std::vector<Candidate>*>(context)->emplace_back(id, from, to);
  return 0;
}

void CollectFound(void* context, PiiType type, size_t from, size_t to) {
  static_cast<std::vector<Candidate>*>(context)->emplace_back(static_cast<unsigned>(type), from,
                                                              to);
}

// Aborts unless every span lies in `text`, in order of start and (for DetectSpans) apart.
void CheckOrdered(const sluice::matchers::PiiSpan* spans, size_t count, size_t size, bool apart) {
  for (size_t i = 0; i < count; ++i) {
    if (spans[i].start >= spans[i].end || spans[i].end > size) std::abort();
    if (i > 0 && spans[i].start < (apart ? spans[i - 1].end : spans[i - 1].start)) std::abort();
  }
}

void CheckSpans(sluice::matchers::PiiScanner& scanner, std::string_view text) {
  using namespace sluice::matchers;
  constexpr size_t kCapacity = 64;
  PiiSpan spans[kCapacity];
  bool complete = false;
  const size_t count = scanner.DetectSpans(text, spans, kCapacity, &complete);
  CheckOrdered(spans, count, text.size(), true);
  if (count > 0 && !MayContainPii(text)) std::abort();
  if (scanner.ContainsPii(text) != (count > 0)) std::abort();
  std::vector<char> out(RedactedLength(text, spans, count));
  if (!out.empty() && Redact(text, spans, count, out.data(), out.size()) != out.size()) std::abort();
  for (const bool is_query : {false, true}) {
    const size_t secrets = scanner.DetectUrlSecrets(text, is_query, spans, kCapacity);
    CheckOrdered(spans, std::min(secrets, kCapacity), text.size(), false);
  }
}

// Decodes `text` whole and cut at `split`, into a small buffer so that runs are cut too, and
// aborts when the two differ or the output is longer than the input.
template <typename State, typename Decode, typename Flush>
void CheckDecoder(std::string_view text, size_t split, Decode decode, Flush flush) {
  const auto run = [&](size_t cut) {
    State state;
    std::string out;
    char buffer[7];
    const auto emit = [&](const char* bytes, size_t size) {
      if (size == 0 || size > text.size()) std::abort();
      out.append(bytes, size);
    };
    decode(&state, text.data(), cut, buffer, sizeof(buffer), emit);
    decode(&state, text.data() + cut, text.size() - cut, buffer, sizeof(buffer), emit);
    flush(&state, emit);
    return out;
  };
  const std::string whole = run(0);
  if (whole.size() > text.size() || run(split) != whole) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::matchers;
  static const Reference reference;
  static std::string error;
  static const std::shared_ptr<const PiiDetectorSet> detectors =
      PiiDetectorSet::Create(PiiConfig{"fuzz-key", kPiiRequestBody | kPiiQuery}, &error);
  static const std::unique_ptr<PiiScanner> scanner = PiiScanner::Create(detectors);
  if (size == 0) return 0;
  const size_t cut = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // NOTE: Hyperscan 5.4's AVX-512 VBMI literal matcher can read past the end of its input, which
  // faults when the input ends a mapping (VectorCamp/vectorscan issue 322). The reference scans a
  // padded copy, so the fuzzer reports Sluice's faults, not that one.
  std::vector<char> padded(text.size() + 64, '\0');
  std::copy(text.begin(), text.end(), padded.begin());
  std::vector<Candidate> expected;
  hs_scan(reference.database, padded.data(), static_cast<unsigned>(text.size()), 0,
          reference.scratch, Collect, &expected);
  std::vector<Candidate> found;
  FindPiiCandidates(text, kAllPiiTypes, /*at_end=*/true, CollectFound, &found);
  std::sort(expected.begin(), expected.end());
  std::sort(found.begin(), found.end());
  if (found != expected) std::abort();

  auto whole = std::make_unique<PiiDirectionState>();
  auto pieces = std::make_unique<PiiDirectionState>();
  scanner->ScanQuery(whole.get(), text);
  const uint64_t cuts_before = scanner->counters().split_values_lost;
  const size_t split = std::min(cut, text.size());
  scanner->ScanBody(pieces.get(), Direction::kRequest, text.data(), split);
  scanner->ScanBody(pieces.get(), Direction::kRequest, text.data() + split, text.size() - split);
  scanner->EndBody(pieces.get(), Direction::kRequest);
  if (scanner->counters().split_values_lost == cuts_before) {
    for (unsigned type = 0; type < kPatternTypeCount; ++type) {
      const auto t = static_cast<PiiType>(type);
      if (whole->summary.of(t).count != pieces->summary.of(t).count) std::abort();
    }
  }

  CheckSpans(*scanner, text);
  using sluice::inspect::JsonDecodeState;
  using sluice::inspect::FormDecodeState;
  CheckDecoder<JsonDecodeState>(
      text, split, [](auto... a) { sluice::inspect::DecodeJsonPiece(a...); },
      [](auto... a) { sluice::inspect::FlushPendingEscape(a...); });
  CheckDecoder<FormDecodeState>(
      text, split, [](auto... a) { sluice::inspect::DecodeFormPiece(a...); },
      [](auto... a) { sluice::inspect::FlushPendingEscape(a...); });
  return 0;
}
