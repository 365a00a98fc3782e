"""`pai-engine validate` of a generated 1,000-node manifest: whole process,
best and median of 10 runs (target: under 200 ms)."""
import os, statistics, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("PAI_BENCH_BIN") or ROOT / "target" / "dist" / "pai-engine")

lines = ["apiVersion: pai-engine/v1", "kind: Pipeline", "metadata: { name: validate-bench }", "spec:", "  nodes:",
         "    - id: read", "      component: read_table", "      params: { path: data.csv }"]
for i in range(1, 1000):
    up = "read" if i == 1 else f"n{i - 1}"
    lines += [f"    - id: n{i}", "      component: split", f"      inputs: {{ data: {up}.output{'' if i == 1 else '1'} }}",
              f"      params: {{ fraction: 0.5, seed: {i} }}"]
manifest = Path(tempfile.mkdtemp()) / "big.yaml"
manifest.write_text("\n".join(lines) + "\n")
times = []
for _ in range(10):
    t = time.perf_counter()
    out = subprocess.run([str(BIN), "validate", str(manifest)], capture_output=True, text=True)
    times.append(time.perf_counter() - t)
    assert out.returncode == 0, out.stderr
    assert "ok (1000 nodes)" in out.stdout
print(f"validate, 1,000 nodes: best {min(times)*1e3:.1f} ms, median {statistics.median(times)*1e3:.1f} ms (target < 200 ms)")
