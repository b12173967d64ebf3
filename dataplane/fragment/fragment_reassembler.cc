#include "dataplane/fragment/fragment_reassembler.h"

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

namespace sluice::fragment {

namespace {

constexpr uint32_t kBucketEntries = 16;

}  // namespace

FragmentReassembler::~FragmentReassembler() {
  if (table_ != nullptr) {
    rte_ip_frag_table_destroy(table_);
    FreeDropped();
  }
}

bool FragmentReassembler::Init(uint32_t max_datagrams, uint64_t timeout_ns, std::string* error) {
  const uint32_t buckets = rte_align32pow2((max_datagrams + kBucketEntries - 1) / kBucketEntries);
  table_ = rte_ip_frag_table_create(buckets, kBucketEntries, max_datagrams, timeout_ns,
                                    static_cast<int>(rte_socket_id()));
  if (table_ == nullptr) {
    *error = "cannot create the IP fragment table for " + std::to_string(max_datagrams) +
             " datagrams: " + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

FragmentReassembler::AddResult FragmentReassembler::Add(rte_mbuf* mbuf, uint32_t l3_offset,
                                                        uint8_t ip_version, uint64_t ts_ns,
                                                        rte_mbuf** datagram) {
  if (mbuf->nb_segs != 1 || table_ == nullptr) {
    ++counters_.unsupported;
    return AddResult::kUnsupported;
  }
  uint8_t* l3 = rte_pktmbuf_mtod_offset(mbuf, uint8_t*, l3_offset);
  mbuf->l2_len = static_cast<uint16_t>(l3_offset);
  if (ip_version == 4) {
    auto* header = reinterpret_cast<rte_ipv4_hdr*>(l3);
    mbuf->l3_len = static_cast<uint16_t>(rte_ipv4_hdr_len(header));
    ++counters_.fragments;
    *datagram = rte_ipv4_frag_reassemble_packet(table_, &dropped_, mbuf, ts_ns, header);
  } else {
    auto* header = reinterpret_cast<rte_ipv6_hdr*>(l3);
    rte_ipv6_fragment_ext* fragment = rte_ipv6_frag_get_ipv6_fragment_header(header);
    if (fragment == nullptr) {
      ++counters_.unsupported;
      return AddResult::kUnsupported;
    }
    mbuf->l3_len = static_cast<uint16_t>(sizeof(rte_ipv6_hdr) + sizeof(rte_ipv6_fragment_ext));
    ++counters_.fragments;
    *datagram = rte_ipv6_frag_reassemble_packet(table_, &dropped_, mbuf, ts_ns, header, fragment);
  }
  if (*datagram == nullptr) return AddResult::kPending;
  ++counters_.datagrams;
  if (ip_version == 4) {
    // rte_ip_frag rewrites the length and fragment fields but leaves the old header checksum.
    auto* header = rte_pktmbuf_mtod_offset(*datagram, rte_ipv4_hdr*, (*datagram)->l2_len);
    header->hdr_checksum = 0;
    header->hdr_checksum = rte_ipv4_cksum(header);
  }
  return AddResult::kComplete;
}

void FragmentReassembler::FreeDropped() {
  if (dropped_.cnt != 0) rte_ip_frag_free_death_row(&dropped_, 3);
}

void FragmentReassembler::Expire(uint64_t now_ns) {
  if (table_ != nullptr) rte_ip_frag_table_del_expired_entries(table_, &dropped_, now_ns);
}

}  // namespace sluice::fragment
