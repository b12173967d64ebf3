// IPv4 and IPv6 fragment reassembly with DPDK's rte_ip_frag, so that HTTP carried in fragmented
// datagrams is parsed like any other. Overlapping, oversized or incomplete datagrams are dropped
// by rte_ip_frag and show up as fragments that never became a datagram.
//
// Ownership: one FragmentReassembler per worker lcore; the table is not thread-safe. Timers run on
// packet time: timestamps are nanoseconds, and the table's "cycles" are those nanoseconds.
#pragma once

#include <rte_ip_frag.h>

#include <cstdint>
#include <string>

struct rte_mbuf;

namespace sluice::fragment {

struct FragmentCounters {
  uint64_t fragments = 0;           // fragments handed to the table
  uint64_t datagrams = 0;           // datagrams completed
  uint64_t unsupported = 0;         // fragments not reassembled: chained mbuf, or an IPv6 extension
                                    // header before the fragment header

  FragmentCounters& operator+=(const FragmentCounters& other) {
    fragments += other.fragments;
    datagrams += other.datagrams;
    unsupported += other.unsupported;
    return *this;
  }
};

class FragmentReassembler {
 public:
  FragmentReassembler() = default;
  ~FragmentReassembler();
  FragmentReassembler(const FragmentReassembler&) = delete;
  FragmentReassembler& operator=(const FragmentReassembler&) = delete;

  // Creates a table for `max_datagrams` datagrams in progress, each dropped after `timeout_ns`.
  bool Init(uint32_t max_datagrams, uint64_t timeout_ns, std::string* error);

  enum class AddResult {
    kUnsupported,  // not taken: the caller still owns `mbuf`
    kPending,      // taken: the table owns `mbuf` until the datagram completes or is dropped
    kComplete,     // `*datagram` is the whole datagram, a chained mbuf the caller frees
  };
  // Offers `mbuf`, a fragment whose IP header starts `l3_offset` bytes into the frame.
  AddResult Add(rte_mbuf* mbuf, uint32_t l3_offset, uint8_t ip_version, uint64_t ts_ns,
                rte_mbuf** datagram);

  // Frees the mbufs of dropped datagrams. Call once per burst.
  void FreeDropped();
  // Drops datagrams whose first fragment is older than the timeout.
  void Expire(uint64_t now_ns);

  const FragmentCounters& counters() const { return counters_; }

 private:
  rte_ip_frag_tbl* table_ = nullptr;
  rte_ip_frag_death_row dropped_{};
  FragmentCounters counters_;
};

}  // namespace sluice::fragment
