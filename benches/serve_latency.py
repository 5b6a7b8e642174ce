#!/usr/bin/env python3
"""Time `hindsight serve` from a one-file edit to the new page being served.

    cargo build --profile dist
    python3 benches/generate.py --count 10000 --out /tmp/corpus10k
    python3 benches/serve_latency.py --root /tmp/corpus10k [--runs 20] [--edit title|body]
        [--back-to-back] [--binary PATH]

Starts `serve` on a free port, waits for the first build, then for each run edits one
postmortem (a different one each time, spread over the corpus) and measures the time until
the edit shows. `--edit title` (the default) rewrites the title in the front matter, which
shows on the listings too; `--edit body` adds a sentence to the body, which shows on the
postmortem's own page only (what typing in a draft does). Measured:

  event_ms   from just before the write to the `reload` event on the live-reload stream
             (what an open browser tab waits for);
  served_ms  from just before the write to a GET of the postmortem's page that returns the
             new title (the reload event, then one request);
  rebuild_ms the server's own figure for the rebuild ("rebuilt in N ms" on its stderr):
             load of the changed file, link, render of the changed pages, with its phases;
  cpu_ms     the CPU time the server used from the write to the page served, on all cores
             (from /proc; a figure that a busy machine inflates less than wall time).

The server serves the edited page first and then renders the listings that show it and the
site-wide files (search index, JSON, feeds); by default each run waits for that second step
of the last run to end, so that it measures one save on an idle server. `--back-to-back`
edits as soon as the page is served instead (saves faster than the second step: the edit
waits for the step in progress, at most the search index).

The time between the write and the rebuild's start includes the watcher's debounce (20 ms of
quiet). Prints one line per run and then the median, 90th percentile and maximum of each.
Every edited file is restored at the end, even on failure.
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time


def http_get(address, target, timeout=30):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    return int(head.split()[1]), body


class EventStream:
    """The live-reload stream, read on a thread; `wait(after)` returns when a `reload` event
    with a generation above `after` has arrived, with its arrival time."""

    def __init__(self, address, since):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(
            f"GET /__hindsight/events?since={since} HTTP/1.1\r\nHost: {address}\r\n\r\n".encode()
        )
        self.events = []  # (generation, time)
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter()
            buffer += chunk
            for match in re.finditer(rb"event: reload\ndata: (\d+)\n\n", buffer):
                with self.cond:
                    self.events.append((int(match.group(1)), now))
                    self.cond.notify_all()
            buffer = buffer[buffer.rfind(b"\n\n") + 2 :] if b"\n\n" in buffer else buffer

    def wait(self, after, timeout=60):
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                for generation, at in self.events:
                    if generation > after:
                        return generation, at
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError("no reload event")
                self.cond.wait(left)

    def close(self):
        self.sock.close()


def cpu_ms(pid):
    """User and system CPU time of a process so far, from /proc (Linux), in milliseconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def summary(name, values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return f"{name}: median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms, max {values[-1]:.0f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="the archive (a generated corpus)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--edit", choices=["title", "body"], default="title")
    parser.add_argument("--binary", default=os.path.join("target", "release", "hindsight"))
    parser.add_argument("--back-to-back", action="store_true",
                        help="edit the next file as soon as the last edit's page is served, "
                             "without waiting for the server to finish the rest of the rebuild")
    args = parser.parse_args()

    postmortems_dir = os.path.join(args.root, "content", "postmortems")
    files = sorted(f for f in os.listdir(postmortems_dir) if f.endswith(".md"))
    step = max(1, len(files) // args.runs)
    chosen = files[::step][: args.runs]
    originals = {}

    started = time.perf_counter()
    server = subprocess.Popen(
        [args.binary, "serve", "--root", args.root, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rebuilds = []
    finished = []
    rebuild_cond = threading.Condition()

    def read_stderr():
        for line in server.stderr:
            match = re.match(r"rebuilt in (\d+) ms.*\((.*)\)", line)
            if match:
                with rebuild_cond:
                    rebuilds.append((int(match.group(1)), match.group(2)))
                    rebuild_cond.notify_all()
            elif re.match(r"\s+then .* and the site-wide files in (\d+) ms", line):
                with rebuild_cond:
                    finished.append(line.strip())
                    rebuild_cond.notify_all()
            elif "error" in line:
                sys.stderr.write(line)

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+", line)
        if not url:
            sys.exit(f"serve printed no URL: {line!r}")
        address = url.group(0).removeprefix("http://").rstrip("/")
        print(f"first build and start: {time.perf_counter() - started:.2f} s "
              f"({len(files)} postmortems)", flush=True)

        results = []
        for run, name in enumerate(chosen):
            path = os.path.join(postmortems_dir, name)
            slug = name[: -len(".md")]
            target = f"/postmortems/{slug}/"
            status, body = http_get(address, target)
            assert status == 200, (target, status)
            since = int(re.search(r"events\?since=(\d+)", body).group(1))
            stream = EventStream(address, since)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            originals.setdefault(path, text)
            marker = f"Edited for the serve benchmark, run {run}"
            if args.edit == "title":
                edited = re.sub(r'^title = ".*"$', f'title = "{marker}"', text, count=1, flags=re.M)
            else:
                edited = text.rstrip("\n") + f"\n\n{marker}.\n"
            with rebuild_cond:
                if not args.back_to_back and rebuilds:
                    # Every edit's listings and site-wide files are done (the first build has
                    # no second step): the server is idle.
                    rebuild_cond.wait_for(lambda: len(finished) >= len(rebuilds) - 1, timeout=60)
                rebuilds_before = len(rebuilds)
            cpu_before = cpu_ms(server.pid)
            written = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(edited)
            generation, event_at = stream.wait(since)
            while True:
                status, body = http_get(address, target)
                if marker in body:
                    break
                generation, event_at = stream.wait(generation)
            served_at = time.perf_counter()
            cpu = cpu_ms(server.pid) - cpu_before
            stream.close()
            with rebuild_cond:
                rebuild_cond.wait_for(lambda: len(rebuilds) > rebuilds_before, timeout=30)
                rebuild_ms, phases = rebuilds[-1] if len(rebuilds) > rebuilds_before else (float("nan"), "")
            row = ((event_at - written) * 1000, (served_at - written) * 1000, rebuild_ms, cpu)
            results.append(row)
            print(f"run {run:2}: event {row[0]:6.0f} ms  served {row[1]:6.0f} ms  "
                  f"rebuild {row[2]:6.0f} ms ({phases})  cpu {cpu:5.0f} ms  {name}", flush=True)
        print(summary("write -> reload event", [r[0] for r in results]))
        print(summary("write -> new page served", [r[1] for r in results]))
        print(summary("server rebuild", [r[2] for r in results]))
        print(summary("server CPU time (both cores)", [r[3] for r in results]))
    finally:
        for path, text in originals.items():
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
