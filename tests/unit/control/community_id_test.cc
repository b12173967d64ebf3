#include "control/sinks/community_id.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/control/wire_fixtures.h"

namespace sluice::control {
namespace {

using testing::Ip;

struct CommunityIdCase {
  const char* capture;  // file under the shared pcap corpus the expected value came from
  size_t ip_length;
  const char* client_ip;
  uint16_t client_port;
  const char* server_ip;
  uint16_t server_port;
  const char* expected;
};

// Expected values are the output of tshark 4.0.17:
//   tshark -r FILE -T fields -e communityid --enable-protocol communityid
// for the TCP connection given by the addresses and ports.
const CommunityIdCase kTsharkCases[] = {
    {"zeek/get-gzip.pcap", 4, "141.142.228.5", 50153, "54.243.118.187", 80,
     "1:sSwqNMUITelgfp6OCeS3Fj/C3v4="},
    {"zeek/tcp-http-with-padding.pcap", 4, "167.221.30.181", 59406, "217.207.159.63", 27272,
     "1:Ozu0r2IedXlL2ckd+xbQHUf3ce4="},
    {"zeek/docker-http-upgrade.pcap", 4, "192.168.122.1", 48648, "192.168.122.87", 2375,
     "1:XIYOZP5AbeT2l9NZX/lA0+Z/gpk="},
    {"zeek/docker-http-upgrade.pcap", 4, "192.168.122.1", 48666, "192.168.122.87", 2375,
     "1:bltUstNiQRUDgqUPTgJ80qDJB2Y="},
    {"zeek/cooper-grill-dvwa.pcapng", 4, "192.168.111.148", 39004, "192.168.111.154", 80,
     "1:DTNzJJwdNfBltzGAd3WTGHRxinE="},
    // Client address above the server's: the endpoints must be swapped before hashing.
    {"ndpi/jsonrpc.pcap", 4, "192.168.8.251", 51084, "179.99.210.200", 80,
     "1:1QY6YhqFncmDkql+Q1C6PJyeHc0="},
    // Same address on both sides: the ports decide the order.
    {"zeek/basic-auth-with-colon.pcap", 4, "172.24.133.205", 43090, "172.24.133.205", 8000,
     "1:4xIdhJ357O08Igol4FcbRMvixZU="},
    {"ndpi/jsonrpc.pcap", 4, "127.0.0.1", 36646, "127.0.0.1", 8080,
     "1:tGtaw7ATLLNNH3bNnWN6tGzQcgA="},
    {"arkime/v6-http.pcap", 16, "2001:6f8:102d:0:2d0:9ff:fee3:e8de", 59201, "2001:6f8:900:7c0::2",
     80, "1:P/VOGxllF9rkDpAV0qCij17Tlnw="},
    {"suricata-verify/http-ipv6.pcap", 16, "::1", 55717, "::1", 8000,
     "1:WVcbZC4PFnnY1xHgiri53kVhzkw="},
    {"suricata-verify/http-post-file.pcap", 16, "::1", 52064, "::1", 8065,
     "1:mLbCLQlRtWYQMrNTL6avvpopkdk="},
};

TEST(CommunityIdV1, MatchesTshark) {
  for (const CommunityIdCase& test_case : kTsharkCases) {
    const auto client = Ip(test_case.client_ip);
    const auto server = Ip(test_case.server_ip);
    char out[kCommunityIdSize];
    const std::string id(CommunityIdV1(test_case.ip_length,
                                       {client.data(), test_case.client_port},
                                       {server.data(), test_case.server_port}, kIpProtoTcp, 0,
                                       out));
    EXPECT_EQ(id, test_case.expected) << test_case.capture << " " << test_case.client_ip << ":"
                                      << test_case.client_port;
  }
}

TEST(CommunityIdV1, IndependentOfDirection) {
  for (const CommunityIdCase& test_case : kTsharkCases) {
    const auto client = Ip(test_case.client_ip);
    const auto server = Ip(test_case.server_ip);
    char out[kCommunityIdSize];
    const std::string reversed(CommunityIdV1(test_case.ip_length,
                                             {server.data(), test_case.server_port},
                                             {client.data(), test_case.client_port}, kIpProtoTcp,
                                             0, out));
    EXPECT_EQ(reversed, test_case.expected) << test_case.capture;
  }
}

TEST(CommunityIdV1, SeedChangesHash) {
  const auto client = Ip("141.142.228.5");
  const auto server = Ip("54.243.118.187");
  char out[kCommunityIdSize];
  const std::string seeded(
      CommunityIdV1(4, {client.data(), 50153}, {server.data(), 80}, kIpProtoTcp, 1, out));
  EXPECT_NE(seeded, "1:sSwqNMUITelgfp6OCeS3Fj/C3v4=");
  EXPECT_EQ(seeded.size(), 30u);
}

TEST(CommunityIdV1, RejectsBadAddressLength) {
  const auto client = Ip("141.142.228.5");
  char out[kCommunityIdSize];
  EXPECT_TRUE(CommunityIdV1(5, {client.data(), 1}, {client.data(), 2}, kIpProtoTcp, 0, out).empty());
}

}  // namespace
}  // namespace sluice::control
