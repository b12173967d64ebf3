// Finds PII candidates in a block of text: the values the patterns in pii_detectors.cc match,
// with the start and end Hyperscan reports for them with HS_FLAG_SOM_LEFTMOST. It makes one pass
// over the text with a byte-class table. Each pattern is checked only where its trigger byte
// occurs: a digit, '@', '+', the 'J' of "eyJ", the 'I' of "AKIA" and "ASIA", the 'B' of "-----BEGIN".
//
// Why not Hyperscan: with start-of-match tracking, the eight patterns in one database scanned
// JSON bodies at 12 to 13 ns/byte, the largest cost of the worker pipeline (perf/README.md).
// Hyperscan stays as this finder's reference: tests/unit/matchers/pii_finder_test.cc compares
// the two on generated text.
//
// Pure function, no state, no allocation: safe on any lcore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "matchers/pii/pii_types.h"

namespace sluice::matchers {

// Receives one candidate: [from, to) contains the value and, where the pattern has one, its
// terminator byte (absent when the value ends the text). Candidates of one type arrive in
// increasing order of `to`.
using PiiCandidateSink = void (*)(void* context, PiiType type, size_t from, size_t to);

// Calls `sink` for each candidate of the `types` (PiiTypeBit() bits) in `text`. With `at_end`
// the text ends the data, so a value may end at its last byte (the patterns' `\z`). Without it,
// a value that reaches the end is not reported.
void FindPiiCandidates(std::string_view text, uint32_t types, bool at_end, PiiCandidateSink sink,
                       void* context);

// False when neither `text` nor its percent-decoded form can contain a value that validates: it
// is shorter than the shortest value ("a@b.cd", 6 bytes), or it has no trigger byte and no '%'.
// A fast test for short fields.
bool MayContainPii(std::string_view text);

// True for bytes that no candidate contains (quotes, commas, braces, colons, tabs, non-ASCII...).
// A candidate never spans one, so body pieces are cut there (pii_scanner.cc).
bool IsPiiBreak(unsigned char c);

}  // namespace sluice::matchers
