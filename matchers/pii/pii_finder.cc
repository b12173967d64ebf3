#include "matchers/pii/pii_finder.h"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::matchers {
namespace {

// Byte classes, as bits.
enum : uint16_t {
  kDigit = 1 << 0,
  kUpper = 1 << 1,
  kWord = 1 << 2,        // [A-Za-z0-9_]: what \b looks at
  kAlnum = 1 << 3,       // [A-Za-z0-9]
  kEmailLocal = 1 << 4,  // [A-Za-z0-9._%+-]
  kEmailDomain = 1 << 5, // [A-Za-z0-9.-]
  kBase64Url = 1 << 6,   // [A-Za-z0-9_-]
  kPemKey = 1 << 7,      // [A-Za-z0-9+/=]
  kSeparator = 1 << 8,   // ' ', '-' and '+' (a form-encoded space) between card digits
  kTrigger = 1 << 9,     // a digit, '@', '+', 'J', 'I', 'B'
  kBreak = 1 << 10,      // in no candidate
  kHyphen = 1 << 11,
};

struct ClassTable {
  std::array<uint16_t, 256> of{};
  constexpr void Add(const char* chars, uint16_t bits) {
    for (const char* p = chars; *p != '\0'; ++p) of[static_cast<unsigned char>(*p)] |= bits;
  }
  constexpr ClassTable() {
    for (int c = 0; c < 256; ++c) {
      const bool digit = c >= '0' && c <= '9';
      const bool upper = c >= 'A' && c <= 'Z';
      const bool alnum = digit || upper || (c >= 'a' && c <= 'z');
      if (digit) of[c] |= kDigit | kTrigger;
      if (upper) of[c] |= kUpper;
      if (alnum) of[c] |= kWord | kAlnum | kEmailLocal | kEmailDomain | kBase64Url | kPemKey;
    }
    Add("_", kWord | kBase64Url | kEmailLocal);
    Add(".", kEmailLocal | kEmailDomain);
    Add("%+", kEmailLocal);
    Add("-", kEmailLocal | kEmailDomain | kBase64Url | kSeparator | kHyphen);
    Add("+/=", kPemKey);
    Add(" +", kSeparator);
    Add("@+JIB", kTrigger);
    // Every byte of every pattern: alphanumerics and "._%+-@ \r\n/=". All others break.
    for (int c = 0; c < 256; ++c) {
      if ((of[c] & (kAlnum | kEmailLocal | kPemKey | kSeparator | kWord)) == 0) of[c] |= kBreak;
    }
    of[static_cast<unsigned char>('@')] &= static_cast<uint16_t>(~kBreak);
    of[static_cast<unsigned char>('\r')] &= static_cast<uint16_t>(~kBreak);
    of[static_cast<unsigned char>('\n')] &= static_cast<uint16_t>(~kBreak);
  }
};
constexpr ClassTable kClasses{};

class Finder {
 public:
  Finder(std::string_view text, uint32_t types, bool at_end, PiiCandidateSink sink, void* context)
      : t_(text), n_(text.size()), types_(types), at_end_(at_end), sink_(sink), context_(context) {}

  void Run();

 private:
  bool Is(size_t i, uint16_t bits) const {
    return (kClasses.of[static_cast<unsigned char>(t_[i])] & bits) != 0;
  }
  bool Wants(PiiType type) const { return (types_ & PiiTypeBit(type)) != 0; }
  // \b before position s, where t_[s] is a word byte: the text's start or a non-word byte.
  bool BoundaryBefore(size_t s) const { return s == 0 || !Is(s - 1, kWord); }
  // A value that ends at e (exclusive) needs a terminator byte outside `continues`, or the end
  // of the data. Sets *to to the end of the match Hyperscan would report.
  bool Terminated(size_t e, uint16_t continues, size_t* to) const {
    if (e == n_) {
      *to = e;
      return at_end_;
    }
    *to = e + 1;
    return !Is(e, continues);
  }
  size_t RunEnd(size_t from, uint16_t bits) const {
    while (from < n_ && Is(from, bits)) ++from;
    return from;
  }
  bool StartsWith(size_t at, std::string_view literal) const {
    return t_.substr(std::min(at, n_), literal.size()) == literal;
  }
  void Emit(PiiType type, size_t from, size_t to) { sink_(context_, type, from, to); }

  uint32_t TriggerMask(size_t block) const;
  size_t NextTrigger(size_t i);
  size_t DigitRun(size_t start);
  void Iban(size_t digits);
  void Cards(size_t start, size_t end);
  void Ssns(size_t start, size_t end);
  void Email(size_t at);
  void Phone(size_t plus);
  void Jwt(size_t j);
  void AwsKey(size_t i);
  void PemKey(size_t b);

  std::string_view t_;
  size_t n_;
  uint32_t types_;
  bool at_end_;
  PiiCandidateSink sink_;
  void* context_;
  size_t jwt_first_part_end_ = 0;  // an "eyJ" before this lies in an earlier token's first part
  size_t jwt_last_to_ = 0;         // the end of the last JWT match reported
  size_t mask_block_ = SIZE_MAX;   // the block whose trigger bits are in mask_
  uint32_t mask_ = 0;
};

#if defined(__SSE2__)
// Returns the trigger bits of the 16 bytes in v.
uint32_t TriggerBits(__m128i v) {
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  __m128i hits = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
  hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8('@')));
  hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
  hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8('J')));
  hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8('I')));
  hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8('B')));
  return static_cast<uint32_t>(_mm_movemask_epi8(hits));
}
#endif

// Returns the trigger bits of the 16 bytes at `block`, bit k for byte block + k. Bytes past the
// end of the text give 0 bits and are never read.
uint32_t Finder::TriggerMask(size_t block) const {
#if defined(__SSE2__)
  const char* text = t_.data();
  if (n_ >= 16) {
    // A short last block is read as the text's last 16 bytes, shifted.
    const size_t shift = n_ - block >= 16 ? 0 : block - (n_ - 16);
    return TriggerBits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text + block - shift))) >> shift;
  }
  if (n_ >= 8) {
    // The first and the last 8 bytes, which overlap: bits 8 to 15 are bytes n_ - 8 to n_ - 1.
    const __m128i first = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(text));
    const __m128i last = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(text + n_ - 8));
    const uint32_t bits = TriggerBits(_mm_unpacklo_epi64(first, last));
    return (bits & 0xffu) | ((bits >> 8) << (n_ - 8));
  }
#endif
  uint32_t mask = 0;
  for (size_t k = block; k < n_ && k < block + 16; ++k) {
    if (Is(k, kTrigger)) mask |= 1u << (k - block);
  }
  return mask;
}

// Returns the first trigger byte at or after i, or n_. Calls come with i increasing, so the last
// block's mask is kept and triggers close together cost one classification of their block.
size_t Finder::NextTrigger(size_t i) {
  if (i >= n_) return n_;
  size_t block = i & ~size_t{15};
  uint32_t mask = (block == mask_block_ ? mask_ : TriggerMask(block)) & (~0u << (i - block));
  while (mask == 0) {
    block += 16;
    if (block >= n_) return n_;
    mask = TriggerMask(block);
  }
  mask_block_ = block;
  mask_ = mask;
  return block + static_cast<size_t>(__builtin_ctz(mask));
}

void Finder::Run() {
  size_t i = NextTrigger(0);
  while (i < n_) {
    // Digits are the common trigger: tested first, they keep the branch predictable.
    if (Is(i, kDigit)) {
      i = NextTrigger(DigitRun(i));  // the whole run of digits and single separators
      continue;
    }
    switch (t_[i]) {
      case '@': Email(i); break;
      case '+': Phone(i); break;
      case 'J': Jwt(i); break;
      case 'I': AwsKey(i); break;
      default: PemKey(i); break;  // 'B'
    }
    i = NextTrigger(i + 1);
  }
}

// A run of digits with single ' ', '-' or '+' between them, starting at a digit that no digit
// precedes. Card numbers, SSNs and the check digits of an IBAN all start in one.
size_t Finder::DigitRun(size_t start) {
  size_t end = start + 1;
  while (end < n_) {
    if (Is(end, kDigit)) {
      ++end;
    } else if (end + 1 < n_ && Is(end, kSeparator) && Is(end + 1, kDigit)) {
      // The run passes over this '+', so Run() will not see it as a trigger.
      if (t_[end] == '+') Phone(end);
      end += 2;
    } else {
      break;
    }
  }
  if (Wants(PiiType::kIban)) Iban(start);
  if (Wants(PiiType::kPaymentCard) && end - start >= 13) Cards(start, end);
  if (Wants(PiiType::kUsSsn) && end - start >= 11) Ssns(start, end);
  return end;
}

// \b[A-Z]{2}\d{2}[A-Z0-9]{11}[A-Z0-9]*, then a byte outside [A-Za-z0-9]: the country code
// ends just before the first digit.
void Finder::Iban(size_t digits) {
  if (digits < 2 || !Is(digits - 2, kUpper) || !Is(digits - 1, kUpper)) return;
  if (digits + 1 >= n_ || !Is(digits + 1, kDigit) || !BoundaryBefore(digits - 2)) return;
  size_t e = digits + 2;
  while (e < n_ && Is(e, kUpper | kDigit)) ++e;
  size_t to = 0;
  if (e - (digits + 2) >= 11 && Terminated(e, kAlnum, &to)) Emit(PiiType::kIban, digits - 2, to);
}

// \b\d(?:[ +\-]?\d){12,18}, then a non-digit. Every digit that ends a group (followed by a
// separator or the run's end) ends a match. Its start is the leftmost word start with 13 to 19
// digits up to that end. Word starts are the run's first digit (after a non-word byte) and every
// digit after a separator.
void Finder::Cards(size_t start, size_t end) {
  // Word starts within the last 19 digits, as (position, digits before it), oldest first.
  constexpr size_t kWindow = 32;
  std::array<size_t, kWindow> start_at{};
  std::array<size_t, kWindow> start_count{};
  size_t head = 0;
  size_t tail = 0;
  size_t count = 0;  // digits before position i
  for (size_t i = start; i < end; ++i) {
    if (!Is(i, kDigit)) continue;
    const bool word_start = i == start ? BoundaryBefore(start) : !Is(i - 1, kDigit);
    if (word_start) {
      if (tail - head == kWindow) ++head;  // unreachable: the pruning below keeps 20 at most
      start_at[tail % kWindow] = i;
      start_count[tail % kWindow] = count;
      ++tail;
    }
    ++count;
    const bool group_end = i + 1 == end || !Is(i + 1, kDigit);
    if (!group_end) continue;
    while (head < tail && count - start_count[head % kWindow] > 19) ++head;
    size_t to = 0;
    if (head < tail && count - start_count[head % kWindow] >= 13 &&
        Terminated(i + 1, kDigit, &to)) {
      Emit(PiiType::kPaymentCard, start_at[head % kWindow], to);
    }
  }
}

// \b\d{3}-\d{2}-\d{4}, then a byte that is neither a digit nor '-'.
void Finder::Ssns(size_t start, size_t end) {
  for (size_t s = start; s + 11 <= end; ++s) {
    const bool word_start = s == start ? BoundaryBefore(start) : Is(s - 1, kSeparator);
    if (!word_start || !Is(s, kDigit)) continue;
    if (t_[s + 3] != '-' || t_[s + 6] != '-') continue;
    bool digits = true;
    for (size_t k : {0, 1, 2, 4, 5, 7, 8, 9, 10}) digits = digits && Is(s + k, kDigit);
    size_t to = 0;
    if (digits && Terminated(s + 11, kDigit | kHyphen, &to)) Emit(PiiType::kUsSsn, s, to);
  }
}

// [A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+, then a byte outside the domain's class. Both runs are
// maximal: '@' belongs to neither, and the terminator must not continue the domain.
void Finder::Email(size_t at) {
  if (!Wants(PiiType::kEmail)) return;
  const size_t e = RunEnd(at + 1, kEmailDomain);
  size_t to = 0;
  if (e == at + 1 || !Terminated(e, kEmailDomain, &to)) return;
  size_t s = at;
  while (s > 0 && Is(s - 1, kEmailLocal)) --s;
  if (s < at) Emit(PiiType::kEmail, s, to);
}

// \+[1-9]\d{6,14}, then a non-digit: the digit run must have 7 to 15 digits.
void Finder::Phone(size_t plus) {
  if (!Wants(PiiType::kPhoneE164) || plus + 1 >= n_ || t_[plus + 1] < '1' || t_[plus + 1] > '9') {
    return;
  }
  const size_t e = RunEnd(plus + 1, kDigit);
  const size_t digits = e - (plus + 1);
  size_t to = 0;
  if (digits >= 7 && digits <= 15 && Terminated(e, kDigit, &to)) {
    Emit(PiiType::kPhoneE164, plus, to);
  }
}

// eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*, then a byte outside that class.
// Hyperscan reports one start per end, the leftmost. Every "eyJ" inside the first part of an
// earlier one ends at the same place (or nowhere), so it is skipped. One in the second part can
// end where the earlier match ends too: that match's terminator is '.', and this one ends at `\z`
// with an empty third part.
void Finder::Jwt(size_t j) {
  if (!Wants(PiiType::kJwt) || j < 2 || t_[j - 2] != 'e' || t_[j - 1] != 'y') return;
  if (j < jwt_first_part_end_) return;
  const size_t first = RunEnd(j + 1, kBase64Url);
  jwt_first_part_end_ = first;
  if (first - (j + 1) < 2 || first >= n_ || t_[first] != '.') return;
  const size_t second = RunEnd(first + 1, kBase64Url);
  if (second - (first + 1) < 2 || second >= n_ || t_[second] != '.') return;
  const size_t e = RunEnd(second + 1, kBase64Url);
  size_t to = 0;
  if (Terminated(e, kBase64Url, &to) && to != jwt_last_to_) {
    jwt_last_to_ = to;
    Emit(PiiType::kJwt, j - 2, to);
  }
}

// \b(?:AKIA|ASIA)[A-Z0-9]{16}, then a byte outside [A-Za-z0-9]. Here i is the 'I'.
void Finder::AwsKey(size_t i) {
  if (!Wants(PiiType::kAwsAccessKey) || i < 2 || i + 1 >= n_) return;
  const size_t s = i - 2;
  if (t_[s] != 'A' || (t_[s + 1] != 'K' && t_[s + 1] != 'S') || t_[i + 1] != 'A') return;
  if (!BoundaryBefore(s) || s + 20 > n_) return;
  for (size_t k = s + 4; k < s + 20; ++k) {
    if (!Is(k, kUpper | kDigit)) return;
  }
  size_t to = 0;
  if (Terminated(s + 20, kAlnum, &to)) Emit(PiiType::kAwsAccessKey, s, to);
}

// -----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40};
// b is the 'B'. No terminator: the match ends after the 40th key character.
void Finder::PemKey(size_t b) {
  if (!Wants(PiiType::kPemPrivateKey) || b < 5 || !StartsWith(b - 5, "-----BEGIN ")) return;
  size_t p = b + 6;
  for (std::string_view kind : {"RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "}) {
    if (StartsWith(p, kind)) {
      p += kind.size();
      break;
    }
  }
  if (!StartsWith(p, "PRIVATE KEY-----")) return;
  p += 16;
  if (p < n_ && t_[p] == '\r') ++p;
  if (p >= n_ || t_[p] != '\n') return;
  ++p;
  if (p + 40 > n_ || RunEnd(p, kPemKey) < p + 40) return;
  Emit(PiiType::kPemPrivateKey, b - 5, p + 40);
}

}  // namespace

void FindPiiCandidates(std::string_view text, uint32_t types, bool at_end, PiiCandidateSink sink,
                       void* context) {
  Finder(text, types, at_end, sink, context).Run();
}

bool MayContainPii(std::string_view text) {
  constexpr size_t kShortestValue = 6;  // an e-mail address; a phone number has 8 bytes at least
  if (text.size() < kShortestValue) return false;
  for (const char c : text) {
    if (c == '%' || (kClasses.of[static_cast<unsigned char>(c)] & kTrigger) != 0) return true;
  }
  return false;
}

bool IsPiiBreak(unsigned char c) { return (kClasses.of[c] & kBreak) != 0; }

}  // namespace sluice::matchers
