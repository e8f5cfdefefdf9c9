#!/usr/bin/env python3
"""Normalises a JTL CSV file (with a header row) into the form the compat tests compare.

    normalise_jtl.py JTL PORT > normalised.txt

Per thread name (natural order), the samples in the order the file records them, one per line:
    label <TAB> responseCode <TAB> success <TAB> failureMessage <TAB> URL
Timings and byte counts are dropped. The fixture's port becomes PORT in URLs and messages
after 127.0.0.1, localhost and names under the reserved .test domain, the measured time in a Duration Assertion's message becomes N, and
the number in a Groovy script class's name (Script38: a count of the JVM's compilations so far,
which differs from run to run) becomes N. Tabs, newlines and
backslashes inside values are written as \\t, \\n and \\\\.

It reads both JMeter 2.13's JTL (header and columns as chosen by -J...saveservice options)
and JMeter 5's 17-column JTL; it needs the label, responseCode, success, threadName,
failureMessage and URL columns.
"""

import csv
import re
import sys

REQUIRED = ["label", "responseCode", "success", "threadName", "failureMessage", "URL"]
DURATION_RE = re.compile(r"It took \d+ milliseconds")
SCRIPT_CLASS_RE = re.compile(r"(for class: Script)\d+\b")


def natural_key(text):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def clean(value, port):
    value = value.replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")
    value = value.replace(f"localhost:{port}", "localhost:PORT")
    value = re.sub(r"(\.test):" + re.escape(str(port)) + r"(?![0-9])", r"\1:PORT", value, flags=re.I)
    value = DURATION_RE.sub("It took N milliseconds", value)
    value = SCRIPT_CLASS_RE.sub(r"\1N", value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r") \
                .replace("\n", "\\n")


def normalise(path, port):
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            return "# no samples\n"
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise SystemExit(f"{path}: no column {', '.join(missing)} in header {header}")
        col = {name: header.index(name) for name in REQUIRED}
        threads = {}
        for row in reader:
            if not row:
                continue
            get = lambda name: row[col[name]] if col[name] < len(row) else ""  # noqa: E731
            line = "\t".join(clean(get(c), port) for c in
                             ("label", "responseCode", "success", "failureMessage", "URL"))
            threads.setdefault(get("threadName"), []).append(line)
    out = ["# label\tresponseCode\tsuccess\tfailureMessage\tURL"]
    for thread in sorted(threads, key=natural_key):
        out.append(f"[{thread}]")
        out.extend(threads[thread])
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: normalise_jtl.py JTL PORT")
    sys.stdout.write(normalise(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
