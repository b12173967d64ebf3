// libFuzzer target for the L2-L4 decoder. The first input byte picks the link type, the rest is
// the frame. Besides memory errors (run it under ASan), it traps when the decoder breaks one of
// its contracts: a result out of range, SpreadHash disagreeing with SymmetricIpPairHash, or
// pointers outside the frame.
#include <cstddef>
#include <cstdint>

#include "dataplane/decode/packet_decoder.h"

namespace {

using sluice::decode::DecodedPacket;
using sluice::decode::DecodeResult;

constexpr uint32_t kLinkTypes[] = {
    sluice::decode::kLinkNull,     sluice::decode::kLinkEthernet, sluice::decode::kLinkRaw,
    sluice::decode::kLinkLoop,     sluice::decode::kLinkLinuxSll, sluice::decode::kLinkIpv4,
    sluice::decode::kLinkIpv6,     sluice::decode::kLinkLinuxSll2,
};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t link_type = kLinkTypes[data[0] % (sizeof(kLinkTypes) / sizeof(kLinkTypes[0]))];
  const uint8_t* frame = data + 1;
  const uint32_t length = static_cast<uint32_t>(size - 1);

  sluice::decode::DecodeOptions options;
  options.verify_checksums = (data[0] & 0x80) != 0;
  DecodedPacket packet;
  const DecodeResult result = sluice::decode::DecodeFrame(link_type, frame, length, options, &packet);
  Check(result < DecodeResult::kCount);

  const uint32_t spread = sluice::decode::SpreadHash(link_type, frame, length);
  Check(packet.ip_version == 0 ? spread == 0 : spread == sluice::decode::SymmetricIpPairHash(packet));

  if (result == DecodeResult::kTcp) {
    Check(packet.l3 >= frame && packet.l3 + packet.l3_length <= frame + length);
    Check(packet.payload >= packet.l3 &&
          packet.payload + packet.payload_length <= packet.l3 + packet.l3_length);
  }
  return 0;
}
