#!/usr/bin/env python3
"""Logs Insights (issue #21): Stratus answering `stats count(*) by bin(1m)`, a `filter | parse | stats` query and a
top-N (`sort @timestamp desc | limit 20`) over stored events, beside a plain Python implementation of the same queries
over the same events (the reference), in one run. Both answers are checked equal before any time counts. Stratus's time is StartQuery to a Complete
GetQueryResults (polled every 10 ms); the reference's is its loop over the events already in memory.

bench.py runs it after S3; alone, quick (100,000 events) or full (1,000,000):
    python3 bench/insights.py --quick --output /tmp/insights.md
    python3 bench/insights.py
"""
import collections
import datetime
import heapq
import random
import re
import statistics
import time

import harness
from harness import start_stratus, timed

SECTION = ("<!-- bench/insights: begin -->", "<!-- bench/insights: end -->")
GROUP = "/bench/insights"
PER_STREAM = 25_000  # under Stratus's 50,000 events kept per stream
BATCH = 10_000
NEWEST = 20


def make_events(count):
    """Events over the last two hours, oldest first: half request lines to parse, half other lines."""
    rng = random.Random(21)
    now = int(time.time() * 1000) - 60_000
    start = now - 7_200_000
    step = 7_200_000 / count
    events = []
    for i in range(count):
        if i % 2:
            message = f"user={rng.choice(('ann', 'bob', 'cid', 'dee'))} took {rng.randint(1, 999)} ms"
        else:
            message = f"INFO heartbeat {rng.randint(0, 1 << 30)}"
        events.append((start + int(i * step), message))
    return events, start // 1000, now // 1000 + 1


def write_events(logs, events):
    logs.create_log_group(logGroupName=GROUP)
    for s, first in enumerate(range(0, len(events), PER_STREAM)):
        stream = f"s{s}"
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        chunk = events[first:first + PER_STREAM]
        for b in range(0, len(chunk), BATCH):
            logs.put_log_events(logGroupName=GROUP, logStreamName=stream,
                                logEvents=[{"timestamp": t, "message": m} for t, m in chunk[b:b + BATCH]])


# ---- the reference: the same queries in plain Python ----

def reference_bins(events):
    counts = collections.Counter(t // 60_000 * 60_000 for t, _ in events)
    return {fmt(minute): str(n) for minute, n in counts.items()}


PARSE = re.compile(r"user=(.*?) took (.*?) ms", re.S)


def reference_parse(events):
    totals = collections.defaultdict(float)
    for _, message in events:
        if "took" in message and (m := PARSE.search(message)):
            totals[m.group(1)] += float(m.group(2))
    # Written as Stratus writes numbers: integral values without a decimal point.
    return {who: str(int(total)) if total.is_integer() else repr(total) for who, total in totals.items()}


def reference_newest(events):
    return [(fmt(t), message) for t, message in heapq.nlargest(NEWEST, events, key=lambda e: e[0])]


def fmt(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


# ---- Stratus ----

# Each query: its text, the reference, and how Stratus's rows (dicts of field to value) read as the reference's answer.
QUERIES = {
    "stats count(*) by bin(1m)": ("stats count(*) as n by bin(1m) as minute", reference_bins,
                                  lambda rows: {row["minute"]: row["n"] for row in rows}),
    "filter | parse | stats": ('filter @message like "took" | parse @message "user=* took * ms" as who, ms | stats sum(ms) as total by who',
                               reference_parse, lambda rows: {row["who"]: row["total"] for row in rows}),
    f"sort @timestamp desc | limit {NEWEST}": (f"fields @timestamp, @message | sort @timestamp desc | limit {NEWEST}", reference_newest,
                                               lambda rows: [(row["@timestamp"], row["@message"]) for row in rows]),
}


def stratus_query(logs, query, answer, start, end):
    qid = logs.start_query(logGroupName=GROUP, startTime=start, endTime=end, queryString=query, limit=10_000)["queryId"]
    while True:
        r = logs.get_query_results(queryId=qid)
        if r["status"] not in ("Scheduled", "Running"):
            break
        time.sleep(0.01)
    if r["status"] != "Complete":
        raise RuntimeError(f"query ended {r['status']}")
    return answer([{f["field"]: f["value"] for f in row} for row in r["results"]])


def run(quick):
    count = 100_000 if quick else 1_000_000
    rounds = 3 if quick else 5
    events, start, end = make_events(count)
    stratus = start_stratus()
    try:
        logs = harness.client(stratus, "logs")
        write_events(logs, events)
        rows = []
        for label, (query, reference, answer) in QUERIES.items():
            times = harness.alternate({
                "Stratus": lambda: timed(lambda: stratus_query(logs, query, answer, start, end)),
                "Python": lambda: timed(lambda: reference(events)),
            }, rounds)
            answers = {name: [a for _, a in runs] for name, runs in times.items()}
            if any(a != answers["Python"][0] for a in answers["Stratus"] + answers["Python"]):
                raise RuntimeError(f"{label}: Stratus's answer differs from the reference's")
            rows.append((label, [t * 1000 for t, _ in times["Stratus"]], [t * 1000 for t, _ in times["Python"]]))
    finally:
        stratus.stop()
    lines = [f"## Logs Insights: Stratus vs the same query in Python (`bench/insights.py`)", "",
             f"{count:,} events in one group ({count // PER_STREAM} streams), {rounds} rounds alternating. Stratus: StartQuery to a Complete "
             "GetQueryResults through boto3, polled every 10 ms; Python: a loop over the same events already in memory. "
             "Both answers checked equal. Target: Stratus at least as fast. The machine may be shared (its load is above): "
             "the ratio of the two in one run is what counts, not either time alone.", "",
             "| query | Stratus ms, median (min-max) | Python ms, median (min-max) | Stratus / Python |", "| --- | --- | --- | --- |"]
    for label, ours, theirs in rows:
        lines.append(f"| `{label}` | {harness.spread(ours)} | {harness.spread(theirs)} | {statistics.median(ours) / statistics.median(theirs):.2f} |")
    return lines


def main():
    harness.section_main("insights.py", __doc__, SECTION, run, "100,000 events instead of 1,000,000, 3 rounds")


if __name__ == "__main__":
    main()
