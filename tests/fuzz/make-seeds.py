#!/usr/bin/env python3
"""Builds the checked-in fuzz seed corpus from the public capture corpus.

packet_decoder seeds: one byte choosing the link type, then one captured frame.
http_parser seeds: one control byte (bit 0 set for requests, 256-byte line buffers), then the
TCP payload of one direction of a connection in capture order, cut at 8 KiB.
Run from the repository root: tests/fuzz/make-seeds.py ../shared/corpus
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

LINK_INDEX = {0: 0, 1: 1, 101: 2, 12: 2, 108: 3, 113: 4, 228: 5, 229: 6, 276: 7}
FRAMES_PER_CAPTURE = 6
HTTP_BYTES = 8192


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    frames, offset = [], 24
    while offset + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        frames.append(data[offset + 16:offset + 16 + caplen])
        offset += 16 + caplen
    return link, frames


def write_seed(directory, payload):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(payload).hexdigest()[:16]
    with open(os.path.join(directory, name), "wb") as f:
        f.write(payload)


def http_streams(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
                          "-e", "tcp.dstport", "-e", "tcp.payload"], capture_output=True, text=True).stdout
    streams = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[3]:
            continue
        key = (parts[0], parts[1], parts[2])
        # Frames that carry TCP inside another protocol list several payloads: keep the first.
        streams.setdefault(key, bytearray()).extend(bytes.fromhex(parts[3].split(",")[0].replace(":", "")))
    return streams


def main():
    corpus, out = sys.argv[1], "tests/fuzz/seeds"
    for root, _, files in os.walk(corpus):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(root, name)
            with tempfile.NamedTemporaryFile(suffix=".pcap") as converted:
                subprocess.run(["editcap", "-F", "pcap", path, converted.name], check=True)
                link, frames = read_pcap(converted.name)
            if link in LINK_INDEX and frames:
                step = max(1, len(frames) // FRAMES_PER_CAPTURE)
                for frame in frames[::step][:FRAMES_PER_CAPTURE]:
                    write_seed(f"{out}/packet_decoder", bytes([LINK_INDEX[link]]) + frame)
            for (_, source, _), payload in http_streams(path).items():
                data = bytes(payload[:HTTP_BYTES])
                is_request = not data.startswith(b"HTTP/")
                write_seed(f"{out}/http_parser", bytes([0x61 if is_request else 0x60]) + data)


if __name__ == "__main__":
    main()
