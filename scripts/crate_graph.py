#!/usr/bin/env python3
"""The workspace's crate graph as a Mermaid block, for README.md.

Runs `cargo metadata --format-version 1 --no-deps` and prints a ```mermaid
block: one node per workspace crate, one edge per workspace-internal normal
dependency (dev- and build-dependencies left out). `xtask` and `pai-testkit`
are tooling and test support, and are left out. Nodes and edges are sorted
by crate name, so the output is deterministic.

With `--write`, the block replaces the text between
`<!-- crate-graph:start -->` and `<!-- crate-graph:end -->` in README.md.
The end-to-end test `docs::` (tests/docs.rs) builds the same text and fails
when the README's block differs.

Python 3 standard library only.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- crate-graph:start -->"
END = "<!-- crate-graph:end -->"
SKIPPED = {"xtask", "pai-testkit"}


def node_id(name):
    """A Mermaid node id: the crate name with `-` as `_`."""
    return name.replace("-", "_")


def graph(metadata):
    """The ```mermaid block (ending with a newline) for cargo metadata."""
    names = sorted(p["name"] for p in metadata["packages"] if p["name"] not in SKIPPED)
    members = set(names)
    edges = set()
    for package in metadata["packages"]:
        if package["name"] not in members:
            continue
        for dep in package["dependencies"]:
            if dep.get("kind") is None and dep.get("path") and dep["name"] in members:
                edges.add((package["name"], dep["name"]))
    lines = ["```mermaid", "graph TD"]
    lines += [f'    {node_id(n)}["{n}"]' for n in names]
    lines += [f"    {node_id(a)} --> {node_id(b)}" for a, b in sorted(edges)]
    lines.append("```")
    return "\n".join(lines) + "\n"


def main():
    args = sys.argv[1:]
    if args not in ([], ["--write"]):
        sys.exit("usage: python3 scripts/crate_graph.py [--write]")
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    block = graph(json.loads(out))
    if not args:
        sys.stdout.write(block)
        return
    text = README.read_text(encoding="utf-8")
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        sys.exit(f"README.md has no {START} … {END} markers")
    start += len(START)
    new = text[:start] + "\n" + block + text[end:]
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: crate graph updated")
    else:
        print("README.md: crate graph already up to date")


if __name__ == "__main__":
    main()
