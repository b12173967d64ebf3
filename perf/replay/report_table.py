#!/usr/bin/env python3
"""Print the one table of perf/run-all.sh from the raw outputs in its work directory.

Inputs (all optional; a missing one gives "n/a" rows): machine.txt, micro-*.json (Google Benchmark
JSON), capture-worker.json (bench_worker on the data plane runs' capture), NAME.json
(sluice-dataplane --stats-json) with NAME.run.txt (key=value lines), footprint.txt and peers.txt
("PEER name key=value ..." lines of run-peers.sh).
"""
import glob
import json
import os
import sys


def key_values(path):
    """Reads key=value tokens from every line of a text file."""
    values = {}
    if not os.path.exists(path):
        return values
    with open(path) as handle:
        for line in handle:
            for token in line.split():
                if "=" in token:
                    key, value = token.split("=", 1)
                    values[key] = value
    return values


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError:
            return None


def peers(path):
    """Returns {peer name: {key: value}} from run-peers.sh output."""
    found = {}
    if not os.path.exists(path):
        return found
    with open(path) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "PEER" and "FAILED" not in parts:
                found[parts[1]] = {k: v for k, v in (t.split("=", 1) for t in parts[2:] if "=" in t)}
    return found


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def si(value, unit=""):
    if value is None:
        return "n/a"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return "%.2f %s%s" % (value / factor, prefix, unit)
    return "%.2f %s" % (value, unit)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2fx" % (a / b)


class Table:
    def __init__(self):
        self.rows = []

    def add(self, section, metric, value, note=""):
        self.rows.append((section, metric, value, note))

    def print(self):
        widths = [max(len(str(row[i])) for row in self.rows + [("section", "metric", "value", "")])
                  for i in range(3)]
        header = ("section", "metric", "value", "note")
        line = "%-*s  %-*s  %*s  %s"
        print(line % (widths[0], header[0], widths[1], header[1], widths[2], header[2], header[3]))
        print("-" * (sum(widths) + 6 + 40))
        for row in self.rows:
            print(line % (widths[0], row[0], widths[1], row[1], widths[2], row[2], row[3]))


def add_micro(table, work, mhz):
    """Adds one row per benchmark; returns {WorkerPipeline name: packets/s per CPU-second}."""
    ceilings = {}
    http_rates = {}
    for path in sorted(glob.glob(os.path.join(work, "micro-*.json"))):
        data = load_json(path)
        if data is None:
            continue
        section = "micro:" + os.path.basename(path)[len("micro-"):-len(".json")]
        for bench in data.get("benchmarks", []):
            if bench.get("run_type") == "aggregate":
                continue
            name = bench["name"].replace("BM_", "")
            if bench.get("error_occurred"):
                table.add(section, name, "ERROR", bench.get("error_message", ""))
                continue
            items = bench.get("items_per_second")
            rate = bench.get("bytes_per_second")
            unit = bench.get("time_unit", "ns")
            note = "%.1f %s/iter" % (bench.get("cpu_time", 0), unit)
            if rate is not None:
                note += ", " + si(rate * 8, "bit/s")
            table.add(section, name, si(items, "items/s"), note)
            if name.startswith("WorkerPipeline") and items and mhz:
                table.add(section, name + " cycles/packet", "%.0f" % (mhz * 1e6 / items),
                          "TSC MHz / packets per CPU-second")
                ceilings[name] = items
            if name.startswith("HttpParse/"):
                http_rates[name] = items
    bare = ceilings.get("WorkerPipeline/verify:1/inspect:0")
    for level, what in ((1, "PII detection"), (2, "PII detection and the anchor rules")):
        inspected = ceilings.get("WorkerPipeline/verify:1/inspect:%d" % level)
        if bare and inspected:
            table.add("micro:worker", "worker pipeline with %s / without" % what, ratio(inspected, bare),
                      "packets per CPU-second")
    everything = ceilings.get("WorkerPipelineDetectors/verify:1/inspect:2")
    if bare and everything:
        table.add("micro:worker", "worker pipeline with the detectors, PII and the rules / without",
                  ratio(everything, bare), "packets per CPU-second")
    for name, items in sorted(http_rates.items()):
        if "/sluice/" not in name:
            continue
        corpus = name.split("/")[-1]
        table.add("micro:http", "sluice / http-parser, " + corpus,
                  ratio(items, http_rates.get("HttpParse/http_parser/" + corpus)),
                  "same streams, same 1460-byte pieces")
    return ceilings


def add_capture_ceiling(table, work, mhz):
    """Adds the worker pipeline measured on the data plane runs' capture. Returns {name: packets/s}."""
    data = load_json(os.path.join(work, "capture-worker.json"))
    found = {}
    for bench in (data or {}).get("benchmarks", []):
        if bench.get("run_type") == "aggregate":
            continue
        name = bench["name"].replace("BM_", "")
        if bench.get("error_occurred"):
            table.add("ceiling", name, "ERROR", bench.get("error_message", ""))
            continue
        items = bench.get("items_per_second")
        found[name] = items
        note = "packets per CPU-second, on the capture of the runs below"
        if items and mhz:
            note += ", %.0f cycles/packet" % (mhz * 1e6 / items)
        table.add("ceiling", name, si(items, "pps"), note)
    return found


def ceiling_of(ceilings):
    """Returns (name, packets/s) of the bench case configured like the data plane runs."""
    name = next((n for n in ("WorkerPipelineDetectors/verify:1/inspect:2",
                             "WorkerPipelineDetectors/verify:1/inspect:1",
                             "WorkerPipeline/verify:1/inspect:2") if n in ceilings), None)
    return name, ceilings.get(name)


def add_control_cpu(table, section, run, packets):
    control = number(run.get("control_cpu_s"))
    if control:
        table.add(section, "sluice-control CPU per packet", "%.0f ns" % (control * 1e9 / packets),
                  "%.1f CPU-s on the same cores" % control)


def add_replay(table, work, machine, ceilings):
    mhz = number(machine.get("cpu_mhz"))
    results = {}
    for workers in (1, 2):
        name = "replay-%d" % workers
        summary = load_json(os.path.join(work, name + ".json"))
        run = key_values(os.path.join(work, name + ".run.txt"))
        section = "replay:%dw" % workers
        if summary is None or run.get("rc") != "0":
            table.add(section, "run", "FAILED", "see %s.log" % name)
            continue
        seconds = summary["seconds"]
        packets = summary["packets"]
        pps = packets / seconds
        results[workers] = pps
        table.add(section, "packets/s", si(pps, "pps"), "%d packets in %.2f s" % (packets, seconds))
        table.add(section, "throughput", si(summary["bytes"] * 8 / seconds, "bit/s"), "frame bytes")
        table.add(section, "HTTP transactions/s per worker core",
                  si(summary["transactions"] / seconds / workers, "/s"))
        if run.get("perf_cycles"):
            cycles = number(run["perf_cycles"]) / packets
            table.add(section, "CPU cycles/packet", "%.0f" % cycles, "perf stat cycles, all threads")
        elif mhz:
            cycles = mhz * 1e6 * seconds * workers / packets
            table.add(section, "CPU cycles/packet", "%.0f" % cycles,
                      "TSC %.0f MHz x seconds x %d worker cores / packets (no PMU)" % (mhz, workers))
        cpu = (number(run.get("user_s")) or 0) + (number(run.get("sys_s")) or 0)
        if cpu and mhz:
            table.add(section, "CPU cycles/packet, process CPU time",
                      "%.0f" % (mhz * 1e6 * cpu / packets),
                      "sluice-dataplane user+sys %.1f s (polling lcores included)" % cpu)
        add_control_cpu(table, section, run, packets)
        received = number(run.get("records_received"))
        sent = summary.get("records_sent")
        table.add(section, "records received/sent",
                  "%s/%s" % (run.get("records_received", "?"), sent),
                  "OK" if received == sent and sent == summary.get("records_built") else "MISMATCH")
    if 1 in results and 2 in results:
        table.add("replay", "2 workers / 1 worker", ratio(results[2], results[1]))
    # The data plane runs PII detection and the detectors by default (and the anchor rules when
    # run-all.sh found them), so the bench case configured alike is the per-core ceiling. The
    # case measured on the replayed capture is preferred to the one on the sample.
    ceiling_name, ceiling = ceiling_of(ceilings)
    table.add("replay", "replay 1w / worker pipeline alone", ratio(results.get(1), ceiling),
              "share of %s the full process reaches" % (ceiling_name or "the per-core ceiling"))
    return results


def add_peers(table, work, replay, ceilings):
    found = peers(os.path.join(work, "peers.txt"))
    testpmd = number(found.get("testpmd", {}).get("pps"))
    table.add("floor", "testpmd io-fwd replay pps", si(testpmd, "pps"),
              "net_pcap infinite_rx, 1 lcore" if testpmd else "run-peers.sh testpmd failed: see peers.log")
    table.add("floor", "sluice replay 1w / testpmd", ratio(replay.get(1), testpmd))
    suricata = number(found.get("suricata", {}).get("net_pps"))
    suricata_dpdk = number(found.get("suricata-dpdk", {}).get("pps"))
    table.add("peer", "suricata -r pps", si(suricata, "pps"), "wall minus startup, 1 thread")
    table.add("peer", "suricata --dpdk pps", si(suricata_dpdk, "pps"), "1 pinned worker")
    offline = load_json(os.path.join(work, "offline-1.json"))
    sluice = offline["packets"] / offline["seconds"] if offline else None
    table.add("peer", "sluice offline 1w pps", si(sluice, "pps"), "one pass reading the file")
    best = max([v for v in (suricata, suricata_dpdk) if v is not None], default=None)
    table.add("peer", "sluice / best suricata", ratio(sluice, best), "target >= 10x")
    ceiling_name, ceiling = ceiling_of(ceilings)
    table.add("peer", "sluice offline 1w / worker pipeline alone", ratio(sluice, ceiling),
              "share of %s the full process reaches" % (ceiling_name or "the per-core ceiling"))
    table.add("peer", "worker pipeline alone / best suricata", ratio(ceiling, best),
              "what the worker core alone would reach")
    if offline and "record_buffer_wait_ms" in offline:
        table.add("peer", "sluice offline worker waits for sluice-control",
                  "%d ms" % offline["record_buffer_wait_ms"],
                  "%d waits for a free batch buffer" % offline.get("record_buffer_waits", 0))
    # Per CPU-second: fairer on a shared machine, where wall-clock rates follow the load.
    run = key_values(os.path.join(work, "offline-1.run.txt"))
    suricata_cpu = number(found.get("suricata", {}).get("user_s"))
    packets = offline["packets"] if offline else None
    sluice_cpu = sum(number(run.get(k)) or 0 for k in ("user_s", "sys_s", "control_cpu_s"))
    suricata_per_cpu = packets / suricata_cpu if packets and suricata_cpu else None
    sluice_per_cpu = packets / sluice_cpu if packets and sluice_cpu else None
    table.add("peer", "suricata -r packets per CPU-s", si(suricata_per_cpu, "pps"), "user time only")
    table.add("peer", "sluice offline packets per CPU-s", si(sluice_per_cpu, "pps"),
              "dataplane user+sys plus sluice-control, polling included")
    table.add("peer", "sluice / suricata per CPU-s", ratio(sluice_per_cpu, suricata_per_cpu))


def add_memory(table, work):
    footprint = key_values(os.path.join(work, "footprint.txt"))
    table.add("memory", "bytes per tracked flow", footprint.get("bytes_per_flow", "n/a"),
              "sizeof(Flow) %s + rte_hash %s" % (footprint.get("sizeof_flow", "?"),
                                                  footprint.get("hash_bytes_per_flow", "?")))
    table.add("memory", "bytes per open transaction", footprint.get("sizeof_transaction", "n/a"),
              "sizeof(Transaction), preallocated per slot")
    summary = load_json(os.path.join(work, "flows-1m.json"))
    run = key_values(os.path.join(work, "flows-1m.run.txt"))
    rss_kb = number(run.get("max_rss_kb"))
    flows = summary.get("flows") if summary else None
    table.add("memory", "sluice-dataplane max RSS", si(rss_kb * 1024 if rss_kb else None, "B"),
              "%s flows tracked, 1 worker" % flows)


def main():
    work = sys.argv[1]
    machine = key_values(os.path.join(work, "machine.txt"))
    model = "?"
    if os.path.exists(os.path.join(work, "machine.txt")):
        with open(os.path.join(work, "machine.txt")) as handle:
            model = next((l.split("=", 1)[1].strip() for l in handle if l.startswith("cpu_model=")), "?")
    print("Sluice performance, %s, nproc %s, %s, commit %s, lto %s" %
          (machine.get("date", "?"), machine.get("nproc", "?"), model, machine.get("commit", "?"),
           machine.get("lto", "?")))
    table = Table()
    mhz = number(machine.get("cpu_mhz"))
    ceilings = add_micro(table, work, mhz)
    # On the runs' own capture when run-all.sh measured it, else on the sample.
    ceilings = add_capture_ceiling(table, work, mhz) or ceilings
    replay = add_replay(table, work, machine, ceilings)
    add_peers(table, work, replay, ceilings)
    add_memory(table, work)
    table.print()


if __name__ == "__main__":
    main()
