#!/usr/bin/env python3
"""Times `hindsight check` and `hindsight build` on one postmortem built to be slow, for each
shape known to hurt Markdown tools, at each size asked for.

    benches/adversarial.py                       # release binary, 1 MiB and 5 MiB
    benches/adversarial.py --sizes 262144 --binary target/debug/hindsight
    benches/adversarial.py --shapes headings,nested-html --commands check

Prints one Markdown table row per shape and command: the wall time and the CPU time (user
and system, which a busy machine inflates less) at each size, and the exit code (1 is
expected where the shape is refused with a diagnostic, such as HTML nested past the limit,
or a file over `max_document_bytes`). Each document is the front matter of a plain postmortem and a body of the
shape, cut to the size (the front matter included), so that a 1 MiB file is exactly at the
default limit of `max_document_bytes`, and a 5 MiB one is refused with E0020 (exit 1).
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

FRONT_MATTER = (
    "+++\n"
    'title = "Adversarial"\n'
    "date = 2024-01-02\n"
    'severity = "sev3"\n'
    'services = ["api"]\n'
    "\n"
    "[incident]\n"
    "started = 2024-01-01T10:00:00Z\n"
    "+++\n"
)


def repeat(unit, size, head="", tail=""):
    """`head`, then `unit` as many times as fits in `size` bytes with `tail`, then `tail`."""
    room = size - len(head.encode()) - len(tail.encode())
    count = max(room // len(unit.encode()), 0)
    return head + unit * count + tail


def footnotes(size):
    """Thousands of footnote references, each defined after the text."""
    refs, defs, n = [], [], 0
    used = 0
    while used < size:
        ref = f"see[^{n}] "
        definition = f"[^{n}]: note {n}\n"
        refs.append(ref)
        defs.append(definition)
        used += len(ref) + len(definition)
        n += 1
    return "".join(refs) + "\n\n" + "".join(defs)


def wide_table(size):
    """A table of 200 columns and as many rows as fit."""
    columns = 200
    header = "|" + "|".join(f"c{i}" for i in range(columns)) + "|\n"
    rule = "|" + "|".join("-" for _ in range(columns)) + "|\n"
    row = "|" + "|".join("x" for _ in range(columns)) + "|\n"
    return repeat(row, size, head=header + rule)


SHAPES = {
    # The same heading again and again: every anchor id is numbered.
    "headings": lambda size: repeat("# a\n", size),
    # Headings whose words differ, with numbered ids colliding with literal ones.
    "heading-ids": lambda size: repeat("# a\n# a 1\n", size),
    # Raw HTML with `<` that never closes: the nesting guard looks for each tag's end.
    "unclosed-lt": lambda size: repeat("<a", size, head="<div>\n"),
    # Elements nested as deep as the file allows (refused past 512 levels).
    "nested-html": lambda size: repeat("<div>", size, head="<div>\n"),
    # Block quotes nested on one line.
    "nested-quotes": lambda size: repeat(">", size, tail=" a\n"),
    # Lists nested by indentation, two spaces a level, up to 500 levels, again and again.
    "nested-lists": lambda size: repeat(
        "".join("  " * level + "- a\n" for level in range(0, 500, 25)), size
    ),
    "stars": lambda size: repeat("*", size),
    "underscores": lambda size: repeat("_", size),
    "brackets": lambda size: repeat("[", size),
    "backticks": lambda size: repeat("`", size),
    "emphasis-pairs": lambda size: repeat("*a_ ", size),
    "link-openers": lambda size: repeat("[a](", size),
    "table-rows": lambda size: repeat("| x | y |\n", size, head="| a | b |\n|---|---|\n"),
    "wide-table": wide_table,
    "footnotes": footnotes,
    "reference-definitions": lambda size: repeat("[a]: /x\n", size, tail="[a]\n"),
    "comments": lambda size: repeat("<!-- c -->\n", size),
    # Links to an internal document, each a warning (W0016) at its line.
    "links-to-internal": lambda size: repeat("[a](internal.md) ", size),
    "raw-links-to-internal": lambda size: repeat('<a href="internal.md">a</a> ', size),
}


def document(shape, size):
    body_size = size - len(FRONT_MATTER.encode()) - 1
    body = SHAPES[shape](body_size)
    return (FRONT_MATTER + body)[:size]


def time_command(binary, command, shape, size, timeout):
    archive = tempfile.mkdtemp(prefix="hindsight-adversarial-")
    try:
        folder = os.path.join(archive, "content", "postmortems")
        os.makedirs(folder)
        with open(os.path.join(folder, "adversarial.md"), "w", encoding="utf-8") as file:
            file.write(document(shape, size))
        # The internal document the links-to-internal shapes link to.
        with open(os.path.join(folder, "internal.md"), "w", encoding="utf-8") as file:
            file.write(FRONT_MATTER.replace("+++\ntitle", '+++\nvisibility = "internal"\ntitle'))
        started = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            run = subprocess.run(
                [binary, command, "--root", archive],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None, None, None
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        return wall, cpu, run.returncode
    finally:
        shutil.rmtree(archive, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/dist/hindsight")
    parser.add_argument("--sizes", default=f"{1 << 20},{5 << 20}")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--commands", default="check,build")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown:
        sys.exit(f"unknown shapes: {', '.join(unknown)}; known: {', '.join(SHAPES)}")
    commands = args.commands.split(",")
    print(
        "| shape | command | "
        + " | ".join(f"{size / (1 << 20):g} MiB: wall s / CPU s (exit)" for size in sizes)
        + " |"
    )
    print("| --- | --- |" + " --- |" * len(sizes))
    for shape in shapes:
        for command in commands:
            cells = []
            for size in sizes:
                wall, cpu, code = time_command(args.binary, command, shape, size, args.timeout)
                cells.append(
                    f"> {args.timeout:g}" if wall is None else f"{wall:.2f} / {cpu:.2f} ({code})"
                )
            print(f"| {shape} | {command} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
