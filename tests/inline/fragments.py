#!/usr/bin/env python3
"""Sends and checks the fragmented IPv4 traffic of run-inline-tests.sh's mode `fragments`.

Subcommands:
  udp-echo  sends one UDP datagram larger than the MTU to the server's echo (run it in the
            client namespace), prints what came back and exits 1 unless it is the same bytes
  compare   reads the captures taken on the client's and the server's veth and checks that
            every fragment crossed the appliance unchanged: the same frames, in the same order,
            with the same IP id, offset, MF flag, length and bytes, in both directions. With
            --stats it also checks the data plane's fragment counters.

compare prints one PASS or FAIL line per check and exits 1 when any check failed.
"""

import argparse
import hashlib
import json
import socket
import struct
import sys

# From <linux/in.h>. Python's socket module does not export them.
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_VLAN = (0x8100, 0x88A8)
LINKTYPE_ETHERNET = 1
IP_FLAG_MF = 0x2000
IP_OFFSET_MASK = 0x1FFF
PROTOCOL_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}


class Report:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def check(self, passed, name, detail=""):
        self.failed += 0 if passed else 1
        status = "PASS" if passed else "FAIL"
        print(f"{status}: {self.label}: {name}" + (f" ({detail})" if detail else ""))


def udp_payload(size):
    """Returns `size` bytes that repeat every 251 bytes. 251 is prime and divides no fragment
    size, so a shifted, swapped or repeated fragment changes the echoed bytes."""
    return bytes(i % 251 for i in range(size))


def run_udp_echo(arguments):
    """Prints one line that describes the outcome. Returns 0 when the echo matched."""
    payload = udp_payload(arguments.size)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # DF off: the sending kernel fragments the datagram, as `ping -M dont` does for ICMP.
        sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        sock.settimeout(arguments.timeout)
        sock.sendto(payload, (arguments.host, arguments.port))
        try:
            reply, _ = sock.recvfrom(65535)
        except socket.timeout:
            print(f"no reply within {arguments.timeout} s")
            return 1
    equal = reply == payload
    print(f"sent {len(payload)} bytes, received {len(reply)}, equal {equal}")
    return 0 if equal else 1


def read_pcap(path):
    """Yields the frames of a classic pcap file (not pcapng) as bytes."""
    with open(path, "rb") as capture:
        header = capture.read(24)
        if len(header) < 24:
            raise ValueError(f"{path}: shorter than a pcap file header ({len(header)} bytes)")
        magic = header[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            raise ValueError(f"{path}: not a classic pcap file (magic {magic.hex()}); "
                             "capture with dumpcap -P")
        linktype = struct.unpack(endian + "I", header[20:24])[0] & 0x0FFFFFFF
        if linktype != LINKTYPE_ETHERNET:
            raise ValueError(f"{path}: link type {linktype}, expected Ethernet (1)")
        while True:
            record = capture.read(16)
            if len(record) < 16:
                return
            captured_length, original_length = struct.unpack(endian + "II", record[8:16])
            frame = capture.read(captured_length)
            if len(frame) < captured_length:
                raise ValueError(f"{path}: last frame truncated ({len(frame)} of "
                                 f"{captured_length} bytes)")
            if captured_length != original_length:
                raise ValueError(f"{path}: frame cut at {captured_length} of {original_length} "
                                 "bytes; capture with a larger snap length")
            yield frame


def ipv4_packet(frame):
    """Returns the IPv4 packet inside an Ethernet frame, or None for any other frame."""
    offset = 12
    ethertype = int.from_bytes(frame[offset:offset + 2], "big")
    while ethertype in ETHERTYPE_VLAN and len(frame) >= offset + 6:
        offset += 4
        ethertype = int.from_bytes(frame[offset:offset + 2], "big")
    if ethertype != ETHERTYPE_IPV4 or len(frame) < offset + 2 + 20:
        return None
    packet = frame[offset + 2:]
    total_length = int.from_bytes(packet[2:4], "big")
    if packet[0] >> 4 != 4 or total_length < 20 or total_length > len(packet):
        return None
    return packet[:total_length]  # without the Ethernet padding


class IpPacket:
    """The fields that fragment checks compare, plus a digest of the whole IP packet."""

    def __init__(self, packet):
        self.source = socket.inet_ntoa(packet[12:16])
        self.destination = socket.inet_ntoa(packet[16:20])
        self.protocol = packet[9]
        self.ip_id = int.from_bytes(packet[4:6], "big")
        flags_offset = int.from_bytes(packet[6:8], "big")
        self.more_fragments = bool(flags_offset & IP_FLAG_MF)
        self.offset = (flags_offset & IP_OFFSET_MASK) * 8
        self.length = len(packet)
        self.digest = hashlib.sha256(packet).hexdigest()[:16]

    def is_fragment(self):
        return self.more_fragments or self.offset > 0

    def key(self):
        return (self.source, self.destination, self.protocol, self.ip_id, self.offset,
                self.more_fragments, self.length, self.digest)

    def __str__(self):
        protocol = PROTOCOL_NAMES.get(self.protocol, str(self.protocol))
        return (f"{protocol} id={self.ip_id:#06x} offset={self.offset} "
                f"mf={int(self.more_fragments)} len={self.length} sha256={self.digest}")


def packets_between(path, source, destination):
    """Returns the ICMP and UDP packets from `source` to `destination` in capture order."""
    packets = []
    for frame in read_pcap(path):
        raw = ipv4_packet(frame)
        if raw is None:
            continue
        packet = IpPacket(raw)
        if (packet.source, packet.destination) == (source, destination) and \
                packet.protocol in (1, 17):
            packets.append(packet)
    return packets


def print_lists(title, sent, received):
    print(f"--- {title}: sent, then received")
    for packet in sent:
        print(f"  sent     {packet}")
    for packet in received:
        print(f"  received {packet}")


def compare_direction(report, name, sent_packets, received_packets, expected):
    """Checks that the fragments in `received_packets` are those of `sent_packets`, in order, and
    that no unfragmented copy of a fragmented datagram arrived. Returns the fragments sent."""
    sent = [packet for packet in sent_packets if packet.is_fragment()]
    received = [packet for packet in received_packets if packet.is_fragment()]
    report.check(len(sent) == expected, f"{name}: the sender sent {expected} fragments",
                 f"sent {len(sent)}")

    sent_keys = [packet.key() for packet in sent]
    received_keys = [packet.key() for packet in received]
    same = sent_keys == received_keys
    detail = f"sent {len(sent)}, received {len(received)}"
    if not same:
        missing = len(set(sent_keys) - set(received_keys))
        extra = len(set(received_keys) - set(sent_keys))
        reordered = not missing and not extra
        detail += f", missing {missing}, changed or extra {extra}, only reordered {reordered}"
    report.check(same, f"{name}: the receiver got the same fragments in the same order, "
                 "byte for byte", detail)

    # A defragmenting appliance would deliver each datagram whole. A datagram above the MTU cannot
    # leave a 1500-byte veth, so an unfragmented copy shows up here only below that size.
    fragmented_ids = {packet.ip_id for packet in sent}
    whole = [packet for packet in received_packets
             if not packet.is_fragment() and packet.ip_id in fragmented_ids]
    report.check(not whole, f"{name}: no fragmented datagram arrived unfragmented",
                 f"{len(whole)} unfragmented packet(s) with a fragmented datagram's IP id")
    if not same or whole:
        print_lists(name, sent, received_packets)
    return sent


def datagram_count(fragments):
    return len({(p.source, p.destination, p.protocol, p.ip_id) for p in fragments})


def check_stats(report, path, fragments, datagrams):
    try:
        with open(path, encoding="utf-8") as stats_file:
            stats = json.load(stats_file)
    except (OSError, ValueError) as error:
        report.check(False, "stats: --stats-json is readable", str(error))
        return
    keys = ("ip_fragments", "fragments_reassembled_into_datagrams", "fragments_unsupported")
    for key in keys:
        report.check(key in stats, f"stats: key {key} present", f"value {stats.get(key)}")
    report.check(stats.get("ip_fragments") == fragments,
                 f"stats: ip_fragments counts the {fragments} fragments of both directions",
                 f"ip_fragments {stats.get('ip_fragments')}")
    report.check(stats.get("fragments_reassembled_into_datagrams") == datagrams,
                 f"stats: {datagrams} datagrams reassembled for inspection",
                 f"fragments_reassembled_into_datagrams "
                 f"{stats.get('fragments_reassembled_into_datagrams')}")
    report.check(stats.get("fragments_unsupported") == 0, "stats: no fragment unsupported",
                 f"fragments_unsupported {stats.get('fragments_unsupported')}")


def run_compare(arguments):
    report = Report(arguments.label)
    try:
        client_out = packets_between(arguments.client_pcap, arguments.client_ip,
                                     arguments.server_ip)
        server_in = packets_between(arguments.server_pcap, arguments.client_ip,
                                    arguments.server_ip)
        server_out = packets_between(arguments.server_pcap, arguments.server_ip,
                                     arguments.client_ip)
        client_in = packets_between(arguments.client_pcap, arguments.server_ip,
                                    arguments.client_ip)
    except (OSError, ValueError) as error:
        report.check(False, "captures are readable", str(error))
        return report.failed

    requests = compare_direction(report, "client to server", client_out, server_in,
                                 arguments.expected_fragments)
    replies = compare_direction(report, "server to client", server_out, client_in,
                                arguments.expected_fragments)
    if arguments.stats:
        check_stats(report, arguments.stats, len(requests) + len(replies),
                    datagram_count(requests) + datagram_count(replies))
    return report.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    echo = commands.add_parser("udp-echo", help="send one large datagram to a UDP echo")
    echo.add_argument("host")
    echo.add_argument("port", type=int)
    echo.add_argument("size", type=int, help="UDP payload in bytes")
    echo.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the echo")

    compare = commands.add_parser("compare", help="compare the client and server captures")
    compare.add_argument("client_pcap")
    compare.add_argument("server_pcap")
    compare.add_argument("--label", default="fragments", help="prefix of every output line")
    compare.add_argument("--client-ip", required=True)
    compare.add_argument("--server-ip", required=True)
    compare.add_argument("--expected-fragments", type=int, required=True,
                         help="fragments each direction must carry")
    compare.add_argument("--stats", help="the data plane's --stats-json file")

    arguments = parser.parse_args()
    if arguments.command == "udp-echo":
        return run_udp_echo(arguments)
    return 1 if run_compare(arguments) else 0


if __name__ == "__main__":
    sys.exit(main())
