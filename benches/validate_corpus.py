#!/usr/bin/env python3
"""Validate an archive written by generate.py against the schema (issue 2) and
the rules of `hindsight check` (issue 3), independently of the hindsight binary,
and print statistics about the corpus.

    python3 benches/validate_corpus.py DIR [--quiet]

Exit 0 when every document passes, 1 otherwise (the first problems are listed).
Needs Python 3.11+ (tomllib).
"""

import argparse
import collections
import datetime as dt
import os
import re
import statistics
import sys
import tomllib

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PM_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]+-\d+$")
BLAME = ["human error", "should have known", "careless", "negligent", "fault of", "blame"]
LATEST = dt.date(2026, 11, 1)
LANGS = {"bash", "yaml", "json", "sql", "go", "python", "rust", "hcl"}
SECTIONS = ["Summary", "Impact", "Root causes", "Trigger", "Resolution", "Detection", "Action items",
            "Lessons learned", "Timeline", "Supporting information"]
REQUIRED_SEV12 = ["summary", "impact", "root causes", "resolution", "action items", "timeline"]
PM_KEYS = {"title", "date", "summary", "authors", "status", "severity", "services", "tags", "visibility",
           "premortems", "related", "incident", "actions", "extra"}
PRE_KEYS = {"title", "date", "summary", "authors", "status", "services", "tags", "visibility", "risks", "extra"}
ACTION_KEYS = {"title", "owner", "kind", "status", "link", "due"}
RISK_KEYS = {"id", "title", "likelihood", "impact", "mitigation", "owner"}
LINK = re.compile(r"\]\(([^)\s]+\.md)(#[^)]*)?\)")
LIST_ENTRY = re.compile(r"^- (\d{2}):(\d{2}) ([A-Z]+): ")
TABLE_ENTRY = re.compile(r"^\| (\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}) \|")


class Problems:
    def __init__(self):
        self.items = []

    def add(self, path, msg):
        self.items.append("%s: %s" % (path, msg))


def split(path, text, probs):
    lines = text.split("\n")
    if not lines or lines[0] != "+++":
        probs.add(path, "no front matter")
        return None, None
    try:
        end = lines.index("+++", 1)
    except ValueError:
        probs.add(path, "front matter not closed")
        return None, None
    try:
        fm = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as e:
        probs.add(path, "TOML: %s" % e)
        return None, None
    return fm, "\n".join(lines[end + 1:])


def sections(body):
    out = collections.OrderedDict()
    cur = None
    in_code = False
    for line in body.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            cur = line[3:].strip()
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def code_blocks(body):
    blocks = []
    cur = None
    for line in body.split("\n"):
        if line.startswith("```"):
            if cur is None:
                cur = [line[3:].strip(), 0]
            else:
                blocks.append(tuple(cur))
                cur = None
        elif cur is not None:
            cur[1] += 1
    return blocks, cur is not None


def check_links(path, body, root, probs):
    n = 0
    for m in LINK.finditer(body):
        target = m.group(1)
        if "://" in target:
            continue
        n += 1
        full = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if not full.startswith(os.path.join(root, "content")) or not os.path.isfile(full):
            probs.add(path, "broken content link %s" % target)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    now = dt.datetime.now(dt.timezone.utc)
    probs = Problems()

    with open(os.path.join(root, "hindsight.toml"), "rb") as f:
        cfg = tomllib.load(f)
    for k in ("title", "base_url", "severities", "services", "check"):
        if k not in cfg:
            probs.add("hindsight.toml", "missing %s" % k)
    sev_ids = [s["id"] for s in cfg.get("severities", [])]
    if sev_ids != ["sev1", "sev2", "sev3", "sev4"]:
        probs.add("hindsight.toml", "severities %r" % sev_ids)
    services = cfg.get("services", {})
    if len(services) != 50:
        probs.add("hindsight.toml", "%d services" % len(services))
    for sid, s in services.items():
        if set(s) != {"name", "description", "owner", "tier"}:
            probs.add("hindsight.toml", "service %s fields %r" % (sid, sorted(s)))
    tags_ok = set(cfg.get("check", {}).get("tags", []))
    if len(tags_ok) != 200:
        probs.add("hindsight.toml", "%d check tags" % len(tags_ok))

    # premortems
    pre_dir = os.path.join(root, "content", "premortems")
    premortems = {}
    pre_files = sorted(os.listdir(pre_dir))
    for fn in pre_files:
        path = os.path.join(pre_dir, fn)
        slug = fn[:-3]
        if not fn.endswith(".md") or not SLUG.match(slug):
            probs.add(path, "bad slug")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        fm, body = split(path, text, probs)
        if fm is None:
            continue
        unknown = set(fm) - PRE_KEYS
        if unknown:
            probs.add(path, "unknown fields %r" % sorted(unknown))
        for k in ("title", "date", "summary", "authors", "status", "services", "tags", "risks"):
            if k not in fm:
                probs.add(path, "missing %s" % k)
        if not isinstance(fm.get("date"), dt.date) or fm["date"] > LATEST:
            probs.add(path, "bad date %r" % fm.get("date"))
        if fm.get("status") not in ("open", "closed"):
            probs.add(path, "bad status")
        if fm.get("visibility", "public") not in ("public", "internal"):
            probs.add(path, "bad visibility")
        for s in fm.get("services", []):
            if s not in services:
                probs.add(path, "unknown service %s" % s)
        for t in fm.get("tags", []):
            if t not in tags_ok:
                probs.add(path, "unknown tag %s" % t)
        risks = fm.get("risks", [])
        if not 3 <= len(risks) <= 8:
            probs.add(path, "%d risks" % len(risks))
        ids = [x.get("id") for x in risks]
        if len(set(ids)) != len(ids):
            probs.add(path, "duplicate risk ids")
        for x in risks:
            if set(x) != RISK_KEYS:
                probs.add(path, "risk fields %r" % sorted(x))
            if x.get("likelihood") not in ("low", "medium", "high") or x.get("impact") not in ("low", "medium", "high"):
                probs.add(path, "bad risk level")
            if not SLUG.match(x.get("id", "")):
                probs.add(path, "bad risk id")
        low = text.lower()
        for b in BLAME:
            if b in low:
                probs.add(path, "blame phrase %r" % b)
        check_links(path, body, root, probs)
        premortems[slug] = dict(date=fm.get("date"), risks=set(ids))

    # postmortems: first pass for slugs, statuses, dates
    pm_dir = os.path.join(root, "content", "postmortems")
    files = sorted(os.listdir(pm_dir))
    docs = {}
    for fn in files:
        path = os.path.join(pm_dir, fn)
        slug = fn[:-3]
        if not fn.endswith(".md") or not SLUG.match(slug) or not PM_FILE.match(slug):
            probs.add(path, "bad slug")
        if slug in premortems:
            probs.add(path, "slug also used by a premortem")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        fm, body = split(path, text, probs)
        if fm is None:
            continue
        docs[slug] = (path, text, fm, body)

    stats = collections.Counter()
    words = []
    langs = collections.Counter()
    code_lines = []
    sev = collections.Counter()
    status = collections.Counter()
    tag_use = collections.Counter()
    svc_use = collections.Counter()
    nactions = collections.Counter()
    total_bytes = 0
    max_date = dt.date(1970, 1, 1)
    for slug, (path, text, fm, body) in docs.items():
        total_bytes += len(text.encode("utf-8"))
        unknown = set(fm) - PM_KEYS
        if unknown:
            probs.add(path, "unknown fields %r" % sorted(unknown))
        for k in ("title", "date", "summary", "authors", "status", "severity", "services", "tags", "incident"):
            if k not in fm:
                probs.add(path, "missing %s" % k)
        if not isinstance(fm.get("title"), str) or not isinstance(fm.get("summary"), str):
            probs.add(path, "bad title/summary")
        if not fm.get("authors") or not all(isinstance(a, str) for a in fm["authors"]):
            probs.add(path, "bad authors")
        st = fm.get("status")
        status[st] += 1
        if st not in ("draft", "in-review", "published"):
            probs.add(path, "bad status")
        sev[fm.get("severity")] += 1
        if fm.get("severity") not in sev_ids:
            probs.add(path, "bad severity")
        vis = fm.get("visibility", "public")
        stats["internal"] += vis == "internal"
        stats["visibility-set"] += "visibility" in fm
        if vis not in ("public", "internal"):
            probs.add(path, "bad visibility")
        svcs = fm.get("services", [])
        if not 1 <= len(svcs) <= 3 or len(set(svcs)) != len(svcs):
            probs.add(path, "services %r" % svcs)
        for s in svcs:
            svc_use[s] += 1
            if s not in services:
                probs.add(path, "unknown service %s" % s)
        tgs = fm.get("tags", [])
        if not 2 <= len(tgs) <= 5 or len(set(tgs)) != len(tgs):
            probs.add(path, "tags %r" % tgs)
        for t in tgs:
            tag_use[t] += 1
            if t not in tags_ok:
                probs.add(path, "unknown tag %s" % t)
        inc = fm.get("incident", {})
        if set(inc) - {"started", "detected", "mitigated", "resolved"}:
            probs.add(path, "incident fields")
        times = [inc.get(k) for k in ("started", "detected", "mitigated", "resolved")]
        stats["no-detected"] += times[1] is None
        stats["no-mitigated"] += times[2] is None
        present = [t for t in times if t is not None]
        for t in present:
            if not isinstance(t, dt.datetime) or t.utcoffset() != dt.timedelta(0):
                probs.add(path, "incident time not UTC date-time: %r" % t)
            elif t > now:
                probs.add(path, "incident time in the future")
        if present != sorted(present):
            probs.add(path, "incident times out of order")
        if inc.get("started") is None or inc.get("resolved") is None:
            probs.add(path, "missing started/resolved")
        date = fm.get("date")
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            probs.add(path, "bad date")
        else:
            max_date = max(max_date, date)
            if date > LATEST:
                probs.add(path, "date after %s" % LATEST)
            if inc.get("resolved"):
                lag = (date - inc["resolved"].date()).days
                if not 1 <= lag <= 7:
                    probs.add(path, "published %d days after resolution" % lag)
            if not slug.startswith(inc["started"].date().isoformat()):
                probs.add(path, "slug date is not the start date")
        # references
        refs = fm.get("premortems", [])
        stats["with-premortems"] += bool(refs)
        for ref in refs:
            ps, _, rid = ref.partition("#")
            if ps not in premortems:
                probs.add(path, "unknown premortem %s" % ref)
            elif rid and rid not in premortems[ps]["risks"]:
                probs.add(path, "unknown risk %s" % ref)
            elif premortems[ps]["date"] >= inc["started"].date():
                probs.add(path, "premortem %s is not older than the incident" % ps)
        rel = fm.get("related", [])
        stats["related-%d" % len(rel)] += 1
        for x in rel:
            if x not in docs:
                probs.add(path, "unknown related %s" % x)
            elif docs[x][2]["incident"]["started"] >= inc["started"]:
                probs.add(path, "related %s is not earlier" % x)
            elif docs[x][2]["status"] == "draft":
                probs.add(path, "related %s is a draft" % x)
        # actions
        acts = fm.get("actions", [])
        nactions[len(acts)] += 1
        if not 0 <= len(acts) <= 6:
            probs.add(path, "%d actions" % len(acts))
        if fm.get("severity") in ("sev1", "sev2") and st == "published" and not acts:
            probs.add(path, "published sev1/sev2 without action items")
        for a in acts:
            if set(a) != ACTION_KEYS:
                probs.add(path, "action fields %r" % sorted(a))
            if a.get("kind") not in ("prevent", "mitigate", "detect", "process"):
                probs.add(path, "bad action kind")
            if a.get("status") not in ("open", "in-progress", "done", "wont-do"):
                probs.add(path, "bad action status")
            due = a.get("due")
            if not isinstance(due, dt.date) or due > LATEST:
                probs.add(path, "bad due %r" % due)
        # body
        low = text.lower()
        for b in BLAME:
            if b in low:
                probs.add(path, "blame phrase %r" % b)
        secs = sections(body)
        names = [s.lower() for s in secs]
        if fm.get("severity") in ("sev1", "sev2"):
            for req in REQUIRED_SEV12:
                if req not in names:
                    probs.add(path, "missing section %s" % req)
        order = [SECTIONS.index(s) for s in secs if s in SECTIONS]
        if order != sorted(order) or len(order) != len(secs):
            probs.add(path, "unexpected sections %r" % list(secs))
        if "Lessons learned" in secs:
            sub = [l[4:] for l in secs["Lessons learned"] if l.startswith("### ")]
            if sub != ["What went well", "What went wrong", "Where we got lucky"]:
                probs.add(path, "lessons learned subsections %r" % sub)
        blocks, unclosed = code_blocks(body)
        if unclosed:
            probs.add(path, "unclosed code block")
        if len(blocks) > 3:
            probs.add(path, "%d code blocks" % len(blocks))
        for lang, n in blocks:
            langs[lang] += 1
            code_lines.append(n)
            if lang not in LANGS or not 5 <= n <= 40:
                probs.add(path, "code block %s with %d lines" % (lang, n))
        stats["code-%d" % len(blocks)] += 1
        # timeline
        tl = secs.get("Timeline")
        if tl is None:
            probs.add(path, "no timeline")
        else:
            entries = []
            zones = set()
            kinds = set()
            day = inc["started"].date()
            for line in tl:
                m = LIST_ENTRY.match(line)
                if m:
                    kinds.add("list")
                    zones.add(m.group(3))
                    entries.append(dt.datetime.combine(day, dt.time(int(m.group(1)), int(m.group(2)))))
                    continue
                m = TABLE_ENTRY.match(line)
                if m:
                    kinds.add("table")
                    entries.append(dt.datetime.combine(dt.date.fromisoformat(m.group(1)),
                                                       dt.time(int(m.group(2)), int(m.group(3)))))
            if len(kinds) != 1 or len(entries) < 3:
                probs.add(path, "timeline kinds %r, %d entries" % (kinds, len(entries)))
            stats["timeline-" + "/".join(sorted(kinds))] += 1
            if entries != sorted(entries):
                probs.add(path, "timeline out of order")
            if zones - {"UTC"}:
                probs.add(path, "timeline zones %r" % zones)
            if any(e.replace(tzinfo=dt.timezone.utc) > now for e in entries):
                probs.add(path, "timeline entry in the future")
        stats["md-links"] += check_links(path, body, root, probs)
        words.append(len(body.split()))

    n = len(docs)
    ok = not probs.items
    if not args.quiet or not ok:
        for p in probs.items[:50]:
            print("PROBLEM", p)
        if len(probs.items) > 50:
            print("... and %d more problems" % (len(probs.items) - 50))
    if not args.quiet:
        q = statistics.quantiles(words, n=20) if len(words) > 1 else words * 19
        print("postmortems: %d, premortems: %d, postmortem bytes: %.1f MB, latest date: %s"
              % (n, len(premortems), total_bytes / 1e6, max_date))
        print("body words: median %d, p5 %d, p25 %d, p75 %d, p95 %d, max %d, >=3000: %.1f%%, 600-1500: %.1f%%"
              % (statistics.median(words), q[0], q[4], q[14], q[18], max(words),
                 100.0 * sum(w >= 3000 for w in words) / n, 100.0 * sum(600 <= w <= 1500 for w in words) / n))
        print("severity: %s" % dict(sorted(sev.items())))
        print("status: %s" % dict(sorted(status.items())))
        print("internal: %.1f%%, with premortem refs: %.1f%%, no detected: %.1f%%, no mitigated: %.1f%%"
              % tuple(100.0 * stats[k] / n for k in ("internal", "with-premortems", "no-detected", "no-mitigated")))
        print("related: %s" % {k: stats[k] for k in sorted(stats) if k.startswith("related-")})
        print("code blocks per doc: %s, languages: %s, lines: min %d max %d"
              % ({k: stats[k] for k in sorted(stats) if k.startswith("code-")}, dict(langs.most_common()),
                 min(code_lines), max(code_lines)))
        print("timelines: %s" % {k: stats[k] for k in sorted(stats) if k.startswith("timeline-")})
        print("actions per doc: %s" % dict(sorted(nactions.items())))
        print("markdown links to content files: %d" % stats["md-links"])
        print("tags used: %d (top %s), services used: %d (top %s)"
              % (len(tag_use), tag_use.most_common(3), len(svc_use), svc_use.most_common(3)))
    print("OK" if ok else "FAILED: %d problems" % len(probs.items))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
