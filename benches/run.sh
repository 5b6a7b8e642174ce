#!/usr/bin/env bash
# Benchmark hindsight against Hugo on the same generated archive (issue 8).
#
#   benches/run.sh [COUNT] [RUNS]
#
# COUNT  postmortems in the corpus (default 10000, or $BENCH_COUNT)
# RUNS   measured rounds (default 5, or $BENCH_RUNS)
#
# Other settings (environment):
#   BENCH_SEED=1        generator seed
#   BENCH_DIR=DIR       work directory (default <repo>/target/bench)
#   BENCH_HUGO=0        skip Hugo (e.g. for 100,000 documents)
#   BENCH_HINDSIGHT=0   skip hindsight
#   BENCH_NO_BUILD=1    do not run `cargo build --profile dist`
#   HINDSIGHT_BIN=PATH  the binary to measure (default <repo>/target/dist/hindsight, the released build)
#
# Each round runs, alternating which tool goes first:
#   hindsight-cold        build after removing the output and CORPUS/.hindsight-cache
#   hindsight-warm        the same build again, nothing changed
#   hindsight-one-change  the same build after appending a line to one postmortem
#                         (the file is restored right after)
#   hindsight-check       hindsight check --root CORPUS
#   hugo                  hugo --quiet with benches/hugo/ into a fresh output dir
# then prints medians of wall time and peak RSS and the ratios issue 8 asks for.
# A hindsight subcommand that fails (not implemented yet, or errors) is n/a.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COUNT=${1:-${BENCH_COUNT:-10000}}
RUNS=${2:-${BENCH_RUNS:-5}}
SEED=${BENCH_SEED:-1}
BENCH_DIR=${BENCH_DIR:-$ROOT/target/bench}
DO_HUGO=${BENCH_HUGO:-1}
DO_HINDSIGHT=${BENCH_HINDSIGHT:-1}
PY=${PYTHON:-python3}
MEASURE=("$PY" "$HERE/measure.py")

CORPUS=$BENCH_DIR/corpus-$COUNT-s$SEED
OUT=$BENCH_DIR/out-hindsight
HUGO_SITE=$BENCH_DIR/hugo-site
HUGO_OUT=$BENCH_DIR/out-hugo
HUGO_CACHE=$BENCH_DIR/hugo-cache
BIN=${HINDSIGHT_BIN:-$ROOT/target/dist/hindsight}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH_DIR/results-$COUNT-$STAMP.tsv
LOG=$BENCH_DIR/run-$COUNT-$STAMP.log

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

case $COUNT in ''|*[!0-9]*) die "COUNT must be a number, got '$COUNT'";; esac
case $RUNS in ''|*[!0-9]*) die "RUNS must be a number, got '$RUNS'";; esac
command -v "$PY" >/dev/null || die "python3 is required"
mkdir -p "$BENCH_DIR"

# --- Hugo -------------------------------------------------------------------
if [ "$DO_HUGO" = 1 ] && ! command -v hugo >/dev/null; then
    say "== installing hugo (Debian package)"
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq &&
        $SUDO DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq hugo >/dev/null ||
        die "could not install hugo (set BENCH_HUGO=0 to skip it)"
fi

# --- hindsight --------------------------------------------------------------
if [ "$DO_HINDSIGHT" = 1 ] && [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    say "== cargo build --profile dist"
    if ! (cd "$ROOT" && cargo build --profile dist); then
        say "run.sh: cargo build --profile dist failed: hindsight figures will be n/a"
    fi
fi
if [ "$DO_HINDSIGHT" = 1 ] && [ ! -x "$BIN" ]; then
    say "run.sh: $BIN is missing: hindsight figures will be n/a"
    DO_HINDSIGHT=0
fi

# --- corpus -----------------------------------------------------------------
want="count=$COUNT seed=$SEED generator=$(sha256sum "$HERE/generate.py" | cut -c1-16)"
if [ ! -f "$CORPUS/.bench-stamp" ] || [ "$(cat "$CORPUS/.bench-stamp")" != "$want" ]; then
    say "== generating $COUNT postmortems into $CORPUS"
    rm -rf "$CORPUS" "$CORPUS.tmp"
    "$PY" "$HERE/generate.py" --count "$COUNT" --seed "$SEED" --out "$CORPUS.tmp" || die "generator failed"
    echo "$want" > "$CORPUS.tmp/.bench-stamp"
    mv "$CORPUS.tmp" "$CORPUS"
fi
say "== corpus: $CORPUS ($(du -sh "$CORPUS/content" | cut -f1), $(find "$CORPUS/content/postmortems" -name '*.md' | wc -l) postmortems, $(find "$CORPUS/content/premortems" -name '*.md' | wc -l) premortems)"

# the file the one-change build edits: a published postmortem from the middle
CHANGE_FILE=$(find "$CORPUS/content/postmortems" -name '*.md' | sort | awk -v n="$COUNT" 'NR >= n / 2' |
    xargs grep -l '^status = "published"' 2>/dev/null | head -n 1)
[ -n "$CHANGE_FILE" ] || CHANGE_FILE=$(find "$CORPUS/content/postmortems" -name '*.md' | sort | head -n 1)
CHANGE_BACKUP=$BENCH_DIR/change-backup.md
# an earlier run that was killed may have left its edit behind
if grep -q 'Edited by benches/run.sh' "$CHANGE_FILE" && [ -f "$CHANGE_BACKUP" ]; then
    cp -p "$CHANGE_BACKUP" "$CHANGE_FILE"
fi
cp -p "$CHANGE_FILE" "$CHANGE_BACKUP"
restore() { [ -f "$CHANGE_BACKUP" ] && cp -p "$CHANGE_BACKUP" "$CHANGE_FILE"; }
trap restore EXIT
trap 'restore; exit 130' INT TERM

# --- Hugo site ----------------------------------------------------------------
if [ "$DO_HUGO" = 1 ]; then
    rm -rf "$HUGO_SITE"
    cp -r "$HERE/hugo" "$HUGO_SITE"
    mkdir -p "$HUGO_SITE/data"
    cp "$CORPUS/hindsight.toml" "$HUGO_SITE/data/hindsight.toml"
fi

# warm the page cache so that neither tool pays for the first read
find "$CORPUS" -type f -name '*.md' -print0 | xargs -0 cat > /dev/null

# --- machine ------------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') memory"
    [ "$DO_HUGO" = 1 ] && echo "hugo: $(hugo version 2>/dev/null | cut -d' ' -f1-2)"
    [ -x "$BIN" ] && echo "hindsight: $BIN ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
    echo "corpus: $COUNT postmortems, seed $SEED, $(du -sm "$CORPUS/content" | cut -f1) MB of content"
    echo "runs: $RUNS"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are only comparable on an idle machine)"
} | tee "$LOG" >&2

: > "$RESULTS"
measure() { # label ok-codes command...
    local label=$1 ok=$2
    shift 2
    "${MEASURE[@]}" --label "$label" --ok "$ok" --append "$RESULTS" --quiet -- "$@" | tee -a "$LOG" >&2
    return "${PIPESTATUS[0]}"
}

# Outputs are moved aside, not deleted, until every round is done. On a file system without
# a journal, ext4 skips inodes freed in the last minute or more when it allocates new ones,
# one by one, so a run that follows the deletion of 30,000 files spent up to 20 s more in
# the kernel, whichever tool it measured (docs/performance.md).
TRASH=$BENCH_DIR/trash
rm -rf "$TRASH"
discard() { # moves a previous output aside
    [ -e "$1" ] || return 0
    mkdir -p "$TRASH" && mv "$1" "$(mktemp -d "$TRASH/XXXXXX")/"
}

BUILD_OK=1
CHECK_OK=1
if [ "$DO_HINDSIGHT" = 1 ]; then
    # a real `check` cannot succeed on a root that does not exist (exit 2);
    # a binary without the subcommand (or a placeholder main) exits 0 or says so
    probe=$("$BIN" check --root "$BENCH_DIR/no-such-archive" 2>&1)
    if [ $? = 0 ] || printf '%s' "$probe" | grep -qi 'unrecognized subcommand'; then
        say "== hindsight does not implement check yet: check figures are n/a"
        CHECK_OK=0
    fi
fi
run_hindsight() {
    local i=$1
    if [ "$BUILD_OK" = 1 ]; then
        discard "$OUT"
        rm -rf "$CORPUS/.hindsight-cache"
        if measure hindsight-cold 0 "$BIN" build --root "$CORPUS" --out "$OUT" && [ -f "$OUT/index.html" ]; then
            [ "$i" = 1 ] && say "   hindsight wrote $(find "$OUT" -name '*.html' | wc -l) HTML files, $(du -sh "$OUT" | cut -f1)"
            measure hindsight-warm 0 "$BIN" build --root "$CORPUS" --out "$OUT"
            printf '\nEdited by benches/run.sh for the one-change build, round %s.\n' "$i" >> "$CHANGE_FILE"
            measure hindsight-one-change 0 "$BIN" build --root "$CORPUS" --out "$OUT"
            restore
        else
            [ -f "$OUT/index.html" ] || say "   hindsight build wrote no $OUT/index.html"
            say "   hindsight build failed: build figures are n/a (not retried)"
            sed -i '/^hindsight-cold\t/d' "$RESULTS"
            BUILD_OK=0
        fi
    fi
    if [ "$CHECK_OK" = 1 ]; then
        # exit 1 means "ran, found errors": timed, but reported
        measure hindsight-check 0,1 "$BIN" check --root "$CORPUS"
        local rc=$?
        if [ "$rc" = 1 ]; then
            say "   note: hindsight check reported errors on the generated corpus"
        elif [ "$rc" != 0 ]; then
            say "   hindsight check failed (exit $rc): check figures are n/a (not retried)"
            CHECK_OK=0
        fi
    fi
}

run_hugo() {
    discard "$HUGO_OUT"
    rm -rf "$HUGO_CACHE"
    measure hugo 0 hugo --quiet --source "$HUGO_SITE" --contentDir "$CORPUS/content" \
        --destination "$HUGO_OUT" --cacheDir "$HUGO_CACHE"
    local rc=$?
    [ "$1" = 1 ] && [ "$rc" = 0 ] && say "   hugo wrote $(find "$HUGO_OUT" -name '*.html' | wc -l) HTML files, $(du -sh "$HUGO_OUT" | cut -f1)"
}

for i in $(seq 1 "$RUNS"); do
    say "== round $i/$RUNS"
    if [ $((i % 2)) = 1 ]; then
        [ "$DO_HINDSIGHT" = 1 ] && run_hindsight "$i"
        [ "$DO_HUGO" = 1 ] && run_hugo "$i"
    else
        [ "$DO_HUGO" = 1 ] && run_hugo "$i"
        [ "$DO_HINDSIGHT" = 1 ] && run_hindsight "$i"
    fi
done
rm -rf "$HUGO_CACHE" "$TRASH"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- summary ------------------------------------------------------------------
"$PY" - "$RESULTS" "$COUNT" <<'EOF' | tee -a "$LOG"
import statistics, sys
path, count = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(path, encoding="utf-8"):
    p = line.rstrip("\n").split("\t")
    if len(p) == 6:
        rows.setdefault(p[0], []).append((int(p[2]), float(p[3]), int(p[4]), float(p[5])))

def med(label, col):
    ok = [r[col] for r in rows.get(label, []) if r[0]]
    return statistics.median(ok) if ok else None

def fmt(x, f):
    return "n/a" if x is None else f % x

labels = ["hindsight-cold", "hindsight-warm", "hindsight-one-change", "hindsight-check", "hugo"]
print()
print("Medians over %s (%d postmortems)" % (", ".join("%s: %d ok of %d" % (l, sum(r[0] for r in rows[l]), len(rows[l]))
                                                     for l in labels if l in rows) or "no runs", count))
print("%-22s %12s %12s %14s" % ("", "wall s", "cpu s", "peak RSS MB"))
for l in labels:
    w, c, m = med(l, 1), med(l, 3), med(l, 2)
    print("%-22s %12s %12s %14s" % (l, fmt(w, "%.3f"), fmt(c, "%.3f"), fmt(m and m / 1024.0, "%.1f")))

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

cold, warm, one = med("hindsight-cold", 1), med("hindsight-warm", 1), med("hindsight-one-change", 1)
check, hugo = med("hindsight-check", 1), med("hugo", 1)
rss_h, rss_hugo = med("hindsight-cold", 2), med("hugo", 2)
checks = [
    ("hindsight cold / hugo wall", ratio(cold, hugo), "<= 0.20", lambda x: x <= 0.20, "%.3f"),
    ("hindsight / hugo peak RSS", ratio(rss_h, rss_hugo), "<= 0.25", lambda x: x <= 0.25, "%.3f"),
    ("cold / warm", ratio(cold, warm), ">= 5", lambda x: x >= 5, "%.1f"),
    ("cold / one-change", ratio(cold, one), ">= 10", lambda x: x >= 10, "%.1f"),
    ("check wall s", check, "< 1", lambda x: x < 1, "%.3f"),
]
print()
print("%-28s %10s %8s  %s" % ("ratio (issue 8)", "value", "goal", "met"))
for name, v, goal, okf, f in checks:
    print("%-28s %10s %8s  %s" % (name, fmt(v, f), goal, "n/a" if v is None else ("yes" if okf(v) else "NO")))
c_cold, c_hugo = med("hindsight-cold", 3), med("hugo", 3)
print("%-28s %10s %8s  %s" % ("(cpu time) cold / hugo", fmt(ratio(c_cold, c_hugo), "%.3f"), "", "for reference"))
EOF
say ""
say "raw results: $RESULTS"
say "log: $LOG"
