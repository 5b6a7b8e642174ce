#!/usr/bin/env python3
"""Measure the search page of a built site in headless Chromium.

    python3 benches/search_query.py --site DIR [--build ARCHIVE --binary HINDSIGHT] [QUERY ...]

With --build, first builds ARCHIVE into DIR with the given hindsight binary and prints the
build's time and the search phase's (HINDSIGHT_TIMINGS). Then prints the index's size (files,
bytes, gzip -9 bytes of the shards), serves DIR on localhost, opens /search/ in Chromium
through chromedriver, and prints:
- for the first query, opened as /search/?q=..., the time to results (page load included,
  and search.js's own measure from the query to results on screen) and what it fetched
  for them, with the size of each fetched file as gzip -9 would serve it;
- the facet files (services and tags), which the page fetches once those results are on
  screen: their size, and the time until the facets show them;
- with --repeat N, the first query's time opened N more times with the browser's cache
  cleared each time: median and max;
- for each query typed into the warm page after that, the time search.js takes from the
  query to facets and results on screen (its `hindsight-search` performance measure).

Needs chromium and chromedriver on the PATH. Standard library only.
"""

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, profile):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["chromedriver", f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 20
        while True:
            try:
                self.call("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,1000",
        ]
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": shutil.which("chromium"), "args": args}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["value"]

    def goto(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def script(self, body):
        return self.call("POST", f"/session/{self.session}/execute/sync",
                         {"script": body, "args": []})

    def wait(self, body, timeout=60):
        deadline = time.time() + timeout
        while True:
            value = self.script(body)
            if value:
                return value
            if time.time() > deadline:
                raise TimeoutError(body)
            time.sleep(0.02)

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.process.kill()
            self.process.wait()


def serve(site):
    handler = functools.partial(QuietHandler, directory=site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def gzip_size(site, url_path):
    path = os.path.join(site, urllib.parse.unquote(url_path).lstrip("/"))
    if os.path.isdir(path):
        path = os.path.join(path, "index.html")
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


RESULTS_SHOWN = """
const items = [...document.querySelectorAll('#search-results .result')];
return items.length > 0 && items.every(i => i.querySelector('.doc-title'))
  || /^Nothing/.test(document.getElementById('search-status').textContent);
"""


def build(archive, binary, site):
    """Builds the archive, timing the whole build and, from its timings, the search phase."""
    env = dict(os.environ, HINDSIGHT_TIMINGS="1")
    started = time.perf_counter()
    before = os.times()
    done = subprocess.run([binary, "build", "--root", archive, "--out", site],
                          env=env, capture_output=True, text=True)
    after = os.times()
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-3000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    print(f"build: {wall:.1f} s wall, {cpu:.1f} s CPU")
    for line in (done.stdout + done.stderr).splitlines():
        if "files: search" in line and ":" in line:
            print(f"    {line.strip()}")


def index_size(site):
    """Files and bytes under search/, and the shards' gzip -9 sizes."""
    root = os.path.join(site, "search")
    files = 0
    raw = 0
    shards = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            files += 1
            raw += os.path.getsize(path)
            if os.path.basename(folder) == "terms":
                with open(path, "rb") as f:
                    shards.append(len(gzip.compress(f.read(), 9)))
    shards.sort()
    with open(os.path.join(root, "index.json"), "rb") as f:
        index = len(gzip.compress(f.read(), 9))
    facets = 0
    for name in os.listdir(os.path.join(root, "facets")):
        with open(os.path.join(root, "facets", name), "rb") as f:
            facets += len(gzip.compress(f.read(), 9))
    print(f"index: {files} files, {raw / 1e6:.1f} MB; index.json {index / 1024:.1f} KB gzip -9, "
          f"facet files {facets / 1024:.1f} KB gzip -9; "
          f"{len(shards)} shards, median {shards[len(shards) // 2] / 1024:.1f} KB, "
          f"largest {shards[-1] / 1024:.1f} KB gzip -9")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True, help="a built site directory")
    parser.add_argument("--build", metavar="ARCHIVE", help="build this archive into --site first")
    parser.add_argument("--binary", default="target/dist/hindsight",
                        help="the hindsight binary for --build")
    parser.add_argument("--repeat", type=int, default=0,
                        help="open the first query this many more times, cache cleared")
    parser.add_argument("queries", nargs="*", default=[
        "dns", "certificate expired", "deployer", "connection pool", "rollback",
        "memory", "timeout", "kafka", "cert", "database failover"])
    args = parser.parse_args()
    if args.build:
        build(args.build, args.binary, args.site)
    index_size(args.site)
    server = serve(args.site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    profile = tempfile.mkdtemp()
    driver = Driver(profile)
    try:
        first = args.queries[0]
        started = time.perf_counter()
        driver.goto(f"{base}/search/?q={urllib.parse.quote(first)}")
        driver.wait(RESULTS_SHOWN)
        elapsed = time.perf_counter() - started
        fetched = driver.script(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);")
        fetched = [p for p in fetched if p.startswith("/search") or p.endswith(".js")]
        # The facet files are asked for once the results are on screen; one may have
        # arrived by now, but it is no part of what the first results needed.
        fetched = [p for p in fetched if not p.startswith("/search/facets/")]
        page = ["/search/", "/style.css", "/highlight.css"]
        total = sum(gzip_size(args.site, p) for p in fetched + page)
        search_only = sum(gzip_size(args.site, p) for p in fetched)
        measured = driver.script(
            "const m = performance.getEntriesByName('hindsight-search'); "
            "return m.length ? m[0].duration : null;")
        print(f"first query {first!r}: results in {elapsed * 1000:.0f} ms with the page load, "
              f"{measured:.0f} ms from the query to results on screen; "
              f"{len(fetched)} search files, {search_only / 1024:.1f} KB gzip -9 "
              f"({total / 1024:.1f} KB with the page's HTML and CSS)")
        for path in sorted(fetched, key=lambda p: -gzip_size(args.site, p))[:5]:
            print(f"    {path}: {gzip_size(args.site, path) / 1024:.1f} KB")
        driver.wait("return document.querySelector('#search-facets input[name=\"tag\"]');")
        facets_at = time.perf_counter() - started
        facet_files = [p for p in driver.script(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);")
            if p.startswith("/search/facets/")]
        facet_bytes = sum(gzip_size(args.site, p) for p in facet_files)
        print(f"then the services and tags: {len(facet_files)} facet files, "
              f"{facet_bytes / 1024:.1f} KB gzip -9, shown {facets_at * 1000:.0f} ms after the "
              f"page was opened")

        if args.repeat:
            loads = []
            searches = []
            for _ in range(args.repeat):
                driver.call("POST", f"/session/{driver.session}/goog/cdp/execute",
                            {"cmd": "Network.clearBrowserCache", "params": {}})
                started = time.perf_counter()
                driver.goto(f"{base}/search/?q={urllib.parse.quote(first)}")
                driver.wait(RESULTS_SHOWN)
                loads.append((time.perf_counter() - started) * 1000)
                searches.append(driver.script(
                    "return performance.getEntriesByName('hindsight-search')[0].duration;"))
            print(f"first query {first!r} opened {args.repeat} more times, cache cleared: "
                  f"query to results on screen median {statistics.median(searches):.0f} ms, "
                  f"max {max(searches):.0f} ms; with the page load median "
                  f"{statistics.median(loads):.0f} ms, max {max(loads):.0f} ms")
            driver.goto(f"{base}/search/?q={urllib.parse.quote(first)}")
            driver.wait(RESULTS_SHOWN)

        timings = []
        for query in args.queries[1:] + args.queries:
            count = driver.script(
                "return performance.getEntriesByName('hindsight-search').length;")
            driver.script(
                "const box = document.getElementById('search-q');"
                f"box.value = {json.dumps(query)};"
                "box.dispatchEvent(new Event('input'));")
            driver.wait(
                f"return performance.getEntriesByName('hindsight-search').length > {count};")
            duration = driver.script(
                "const m = performance.getEntriesByName('hindsight-search'); "
                "return m[m.length - 1].duration;")
            status = driver.script("return document.getElementById('search-status').textContent;")
            timings.append(duration)
            print(f"warm query {query!r}: {duration:.1f} ms ({status})")
        print(f"warm queries: median {statistics.median(timings):.1f} ms, "
              f"max {max(timings):.1f} ms over {len(timings)}")
    finally:
        driver.close()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
