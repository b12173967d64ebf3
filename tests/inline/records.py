#!/usr/bin/env python3
"""Checks the JSON-lines records that sluice-control wrote for one inline or passive run.

Called by run-inline-tests.sh. Prints one PASS, FAIL or SKIP line per check and exits 1 when any
check failed. Transactions are keyed by http.request.method and url.original, the same calls
that the driver sends in every mode.
"""

import argparse
import calendar
import collections
import json
import sys
import time

BLOCK_RULE_ID = 9001
TAG_RULE_ID = 9002
USER_IDS = (1, 2, 3)
BLOCKED_CALLS = 11  # one probe plus one a second during the 10 s load


class Report:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def check(self, passed, name, detail=""):
        status = "PASS" if passed else "FAIL"
        self.failed += 0 if passed else 1
        print(f"{status}: {self.label}: {name}" + (f" ({detail})" if detail else ""))

    def skip(self, name, reason):
        print(f"SKIP: {self.label}: {name} ({reason})")


def load_transactions(path):
    """Returns the transaction records of `path` grouped by (method, url.original)."""
    by_call = collections.defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}:{number}: invalid JSON: {error}")
            if record.get("sluice", {}).get("record_type") != "transaction":
                continue
            method = record.get("http", {}).get("request", {}).get("method")
            url = record.get("url", {}).get("original")
            by_call[(method, url)].append(record)
    return by_call


def status_of(record):
    return record.get("http", {}).get("response", {}).get("status_code")


def verdict_of(record):
    """Returns sluice.verdict, or "pass" (the schema's default verdict) when the record has none."""
    return record.get("sluice", {}).get("verdict", "pass")


def rule_ids_of(record):
    """Ids of the matched rules, whether sluice.rules lists objects with an id or bare ids."""
    ids = set()
    for rule in record.get("sluice", {}).get("rules", []) or []:
        ids.add(rule.get("id") if isinstance(rule, dict) else rule)
    return ids


def stream_gaps(stats_path):
    """Returns the stream gaps of the data plane's --stats-json summary, or 0 without one."""
    if not stats_path:
        return 0
    try:
        with open(stats_path, encoding="utf-8") as stats:
            return int(json.load(stats).get("stream_gaps", 0))
    except (OSError, ValueError):
        return 0


def is_marked_incomplete(record):
    """Returns True when a record reports that the data plane missed part of the call."""
    sluice = record.get("sluice", {})
    anomalies = set(sluice.get("anomalies", []) or [])
    return bool(sluice.get("response_missing")) or bool(
        anomalies & {"http.body_gap", "http.request_without_response", "http.lost_sync",
                     "http.incomplete_message"})


def blocked_urls():
    return ["/admin/delete?probe=1"] + [f"/admin/delete?n={n}" for n in range(1, BLOCKED_CALLS)]


def check_run(arguments):
    report = Report(arguments.mode)
    calls = load_transactions(arguments.jsonl)

    for user_id in USER_IDS:
        records = calls.get(("GET", f"/api/v1/users/{user_id}"), [])
        statuses = [status_of(r) for r in records]
        report.check(statuses == [200], f"record GET /api/v1/users/{user_id}",
                     f"statuses {statuses}")
    statuses = [status_of(r) for r in calls.get(("GET", "/big"), [])]
    report.check(statuses == [200], "record GET /big", f"statuses {statuses}")

    orders = calls.get(("POST", "/api/v1/orders"), [])
    statuses = [status_of(r) for r in orders]
    report.check(statuses == [201], "record POST /api/v1/orders", f"statuses {statuses}")

    load = calls.get(("GET", arguments.load_url), [])
    complete = [r for r in load if status_of(r) == 200]
    incomplete = [r for r in load if status_of(r) != 200]
    gaps = stream_gaps(arguments.stats) if arguments.mode == "passive" else 0
    if gaps > 0 and len(complete) < arguments.load_requests:
        # A passive appliance cannot slow the traffic down, so on a loaded machine the kernel
        # drops mirrored frames before the data plane reads them. Every shortfall must then show
        # as reported stream gaps and as records marked incomplete, and it must stay small.
        print(f"NOTE: {arguments.mode}: the data plane reported {gaps} stream gaps "
              f"(frames it never received); {arguments.load_requests - len(complete)} of "
              f"{arguments.load_requests} wrk calls lack a complete record")
        unmarked = [r for r in incomplete if not is_marked_incomplete(r)]
        report.check(not unmarked, "wrk records without a response say why",
                     f"{len(unmarked)} of {len(incomplete)} do not")
        report.check(len(complete) >= 0.9 * arguments.load_requests > 0,
                     "complete records for at least 90 % of wrk responses",
                     f"{len(complete)} of {arguments.load_requests}")
    else:
        report.check(len(load) >= arguments.load_requests > 0,
                     "a record for every wrk response",
                     f"{len(load)} records, wrk completed {arguments.load_requests}")
        report.check(not incomplete, "wrk records all have status 200",
                     f"{len(incomplete)} others")

    blocked = [r for url in blocked_urls() for r in calls.get(("DELETE", url), [])]
    missing = [url for url in blocked_urls() if ("DELETE", url) not in calls]
    report.check(not missing, "a record for every admin delete call",
                 f"missing {len(missing)} of {BLOCKED_CALLS}")

    if not arguments.rules:
        report.skip("verdicts and rule ids", "the data plane has no --rules option yet")
        return report.failed

    expected = "block" if arguments.mode == "inline" else "would_block"
    wrong = sorted({str(verdict_of(r)) for r in blocked if verdict_of(r) != expected})
    report.check(blocked and not wrong, f"admin delete calls have verdict {expected}",
                 f"other verdicts: {wrong}" if wrong else f"{len(blocked)} records")
    no_rule = [r for r in blocked if BLOCK_RULE_ID not in rule_ids_of(r)]
    report.check(blocked and not no_rule, f"admin delete records name rule {BLOCK_RULE_ID}",
                 f"{len(no_rule)} without it")
    if arguments.mode == "inline":
        answered = [status_of(r) for r in blocked if status_of(r) not in (None, 0)]
        report.check(not answered or all(s == arguments.block_status for s in answered),
                     "blocked calls have no server response",
                     f"statuses {sorted(set(answered))}")

    verdicts = [verdict_of(r) for r in orders]
    report.check(verdicts == ["tag"], "order record has verdict tag", f"verdicts {verdicts}")
    report.check(orders and TAG_RULE_ID in rule_ids_of(orders[0]),
                 f"order record names rule {TAG_RULE_ID}",
                 f"rules {sorted(rule_ids_of(orders[0])) if orders else []}")
    passed_calls = [r for (method, url), records in calls.items() for r in records
                    if (method, url) != ("POST", "/api/v1/orders") and method != "DELETE"]
    wrong = sorted({str(verdict_of(r)) for r in passed_calls if verdict_of(r) != "pass"})
    report.check(not wrong, "other calls have verdict pass", f"other verdicts: {wrong}")
    return report.failed


def block_of(record):
    return record.get("sluice", {}).get("block")


def check_blocks(arguments):
    """Checks that each blocked call has one record saying how the block ended it."""
    report = Report(arguments.label)
    calls = load_transactions(arguments.jsonl)
    for url in arguments.url:
        name = f"record {arguments.method} {url}"
        records = calls.get((arguments.method, url), [])
        report.check(len(records) == 1, f"{name}: one record", f"{len(records)} records")
        if len(records) != 1:
            continue
        record = records[0]
        report.check(verdict_of(record) == "block", f"{name}: verdict block",
                     f"verdict {verdict_of(record)}")
        report.check(arguments.rule in rule_ids_of(record), f"{name}: names rule {arguments.rule}",
                     f"rules {sorted(map(str, rule_ids_of(record)))}")
        block = block_of(record)
        report.check(isinstance(block, dict), f"{name}: has sluice.block", f"block {block}")
        if not isinstance(block, dict):
            continue
        report.check(block.get("direction") == arguments.direction,
                     f"{name}: block direction {arguments.direction}",
                     f"direction {block.get('direction')}")
        packet = block.get("packet")
        if arguments.packet is not None:
            report.check(packet == arguments.packet, f"{name}: block packet {arguments.packet}",
                         f"packet {packet}")
        else:
            report.check(isinstance(packet, int) and packet >= arguments.min_packet,
                         f"{name}: block packet {arguments.min_packet} or later", f"packet {packet}")
        report.check(block.get("bytes_passed") == arguments.bytes_passed,
                     f"{name}: block bytes_passed {arguments.bytes_passed}",
                     f"bytes_passed {block.get('bytes_passed')}")
        report.check(block.get("reset") is True, f"{name}: block reset true",
                     f"reset {block.get('reset')}")
        status = status_of(record)
        if arguments.response_status is None:
            report.check(status in (None, 0), f"{name}: no server response",
                         f"status {status}")
        else:
            report.check(status == arguments.response_status,
                         f"{name}: server response {arguments.response_status}",
                         f"status {status}")
    return report.failed


def timestamp_of(record):
    """Returns @timestamp (RFC 3339 in UTC, as sluice-control writes it) as seconds since the
    epoch, or None when the record has none or it does not parse."""
    text = record.get("@timestamp")
    if not isinstance(text, str) or not text.endswith("Z"):
        return None
    whole, _, fraction = text[:-1].partition(".")
    try:
        seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
        return seconds + (float("0." + fraction) if fraction else 0.0)
    except ValueError:
        return None


def parse_rule_spec(spec):
    """Splits "+8001,-8002" into the rule ids a record must name and those it must not."""
    required, forbidden = set(), set()
    for item in filter(None, spec.split(",")):
        (required if item[0] == "+" else forbidden).add(int(item[1:]))
    return required, forbidden


def check_reload(arguments):
    """Checks the records of a run whose rule file was reloaded while calls were running."""
    report = Report(arguments.label)
    calls = load_transactions(arguments.jsonl)

    for method, url, verdict, spec in arguments.call:
        name = f"record {method} {url}"
        records = calls.get((method, url), [])
        report.check(len(records) == 1, f"{name}: one record", f"{len(records)} records")
        if len(records) != 1:
            continue
        record = records[0]
        report.check(verdict_of(record) == verdict, f"{name}: verdict {verdict}",
                     f"verdict {verdict_of(record)}")
        required, forbidden = parse_rule_spec(spec)
        ids = rule_ids_of(record)
        if required or forbidden:
            report.check(required <= ids and not forbidden & ids,
                         f"{name}: names {sorted(required)}, not {sorted(forbidden)}",
                         f"rules {sorted(map(str, ids))}")

    # wrk's calls run through the switch. Those that began before SIGHUP was sent ran on the old
    # rules. Those that began after the "reloaded" line appeared run on the new ones. Calls within
    # the margin of either time are left out, because the records' clock is the TSC scaled to wall
    # time when the worker started, and it can drift from `date` (estimate: milliseconds a minute).
    load = calls.get(("GET", arguments.load_url), [])
    report.check(len(load) >= arguments.load_requests > 0, "a record for every wrk response",
                 f"{len(load)} records, wrk completed {arguments.load_requests}")
    margin = arguments.margin_ms / 1000.0
    stamps = [(timestamp_of(r), r) for r in load]
    unstamped = [r for stamp, r in stamps if stamp is None]
    report.check(not unstamped, "wrk records have a valid @timestamp", f"{len(unstamped)} without")
    before = [r for stamp, r in stamps
              if stamp is not None and stamp < arguments.switch_after - margin]
    after = [r for stamp, r in stamps
             if stamp is not None and stamp > arguments.switch_before + margin]
    old = arguments.old_rule
    missing = [r for r in before if old not in rule_ids_of(r) or verdict_of(r) != "tag"]
    report.check(before and not missing, f"wrk calls before the switch: tag, rule {old}",
                 f"{len(missing)} of {len(before)} not")
    on_old_rules = [r for r in after if old in rule_ids_of(r) or verdict_of(r) != "pass"]
    report.check(after and not on_old_rules, f"wrk calls after the switch: pass, no rule {old}",
                 f"{len(on_old_rules)} of {len(after)} not")
    return report.failed


def compare_runs(arguments):
    """Compares an inline run with the passive run of the same calls."""
    report = Report("inline vs passive")
    inline = load_transactions(arguments.inline_jsonl)
    passive = load_transactions(arguments.passive_jsonl)

    only_inline = sorted(str(k) for k in inline.keys() - passive.keys())
    only_passive = sorted(str(k) for k in passive.keys() - inline.keys())
    report.check(not only_inline and not only_passive, "same calls recorded",
                 f"inline only {only_inline[:5]}, passive only {only_passive[:5]}")

    for key in sorted(inline.keys() & passive.keys(), key=str):
        name = f"{key[0]} {key[1]}"
        inline_records, passive_records = inline[key], passive[key]
        if key[1] != arguments.load_url:
            report.check(len(inline_records) == len(passive_records), f"{name}: same count",
                         f"inline {len(inline_records)}, passive {len(passive_records)}")
        inline_verdicts = {verdict_of(r) for r in inline_records}
        passive_verdicts = {verdict_of(r) for r in passive_records}
        if "block" in inline_verdicts:
            report.check(passive_verdicts == {"would_block"},
                         f"{name}: would_block where inline blocked",
                         f"passive verdicts {sorted(map(str, passive_verdicts))}")
            continue
        inline_statuses = sorted({str(status_of(r)) for r in inline_records})
        # A passive record marked incomplete has no status to compare. The check of the passive
        # run decides whether such records were allowed.
        passive_statuses = sorted({str(status_of(r)) for r in passive_records
                                   if status_of(r) is not None or not is_marked_incomplete(r)})
        report.check(inline_statuses == passive_statuses, f"{name}: same status",
                     f"inline {inline_statuses}, passive {passive_statuses}")
        report.check(inline_verdicts == passive_verdicts, f"{name}: same verdict",
                     f"inline {sorted(map(str, inline_verdicts))}, "
                     f"passive {sorted(map(str, passive_verdicts))}")
    return report.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="check the records of one run")
    check.add_argument("jsonl", help="records.jsonl written by sluice-control")
    check.add_argument("--mode", choices=["inline", "passive"], required=True)
    check.add_argument("--rules", action="store_true", help="the run loaded rules.yaml")
    check.add_argument("--load-url", required=True, help="url.original that wrk requested")
    check.add_argument("--load-requests", type=int, required=True,
                       help="responses that wrk counted")
    check.add_argument("--stats", help="the data plane's --stats-json summary of the run")
    check.add_argument("--block-status", type=int, default=403,
                       help="HTTP status of a configured block response")

    compare = commands.add_parser("compare", help="compare an inline run with a passive run")
    compare.add_argument("inline_jsonl")
    compare.add_argument("passive_jsonl")
    compare.add_argument("--load-url", required=True,
                         help="url.original that wrk requested; its counts differ between runs")

    block = commands.add_parser("block", help="check the records of blocked calls")
    block.add_argument("jsonl", help="records.jsonl written by sluice-control")
    block.add_argument("--label", required=True, help="run name printed in each check")
    block.add_argument("--method", required=True, help="http.request.method of the calls")
    block.add_argument("--url", action="append", required=True,
                       help="url.original of one blocked call; repeat for more")
    block.add_argument("--rule", type=int, required=True, help="id of the blocking rule")
    block.add_argument("--direction", choices=["request", "response"], required=True,
                       help="side whose packet was dropped")
    position = block.add_mutually_exclusive_group(required=True)
    position.add_argument("--packet", type=int, help="exact sluice.block.packet")
    position.add_argument("--min-packet", type=int, help="lowest sluice.block.packet")
    block.add_argument("--bytes-passed", type=int, required=True,
                       help="exact sluice.block.bytes_passed")
    block.add_argument("--response-status", type=int,
                       help="http.response.status_code the server sent before the block "
                            "(default: no response recorded)")

    reload = commands.add_parser("reload", help="check the records of a run with rule reloads")
    reload.add_argument("jsonl", help="records.jsonl written by sluice-control")
    reload.add_argument("--label", required=True, help="run name printed in each check")
    reload.add_argument("--call", nargs=4, action="append", default=[],
                        metavar=("METHOD", "URL", "VERDICT", "RULES"),
                        help="one call that must have exactly one record with VERDICT; RULES "
                             "lists ids it must name (+ID) or must not name (-ID), comma-separated")
    reload.add_argument("--load-url", required=True, help="url.original that wrk requested")
    reload.add_argument("--load-requests", type=int, required=True,
                        help="responses that wrk counted")
    reload.add_argument("--switch-after", type=float, required=True,
                        help="epoch seconds just before SIGHUP was sent")
    reload.add_argument("--switch-before", type=float, required=True,
                        help="epoch seconds just after the reload was logged")
    reload.add_argument("--old-rule", type=int, required=True,
                        help="tag rule that wrk calls match before the switch only")
    reload.add_argument("--margin-ms", type=float, default=250,
                        help="calls this close to either switch time are not checked")

    arguments = parser.parse_args()
    commands_by_name = {"check": check_run, "compare": compare_runs, "block": check_blocks,
                        "reload": check_reload}
    failed = commands_by_name[arguments.command](arguments)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
