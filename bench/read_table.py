"""read_table vs pandas.read_csv, side by side, on the same file.

Prints, best of 3 each:
- in-process: the `read_table` node's duration as recorded by the engine
  (parse + type inference + writing the Parquet artifact) vs
  `pandas.read_csv` inside an already-running Python;
- whole process: `pai-engine run` of a one-node pipeline vs
  `python -c "import pandas; pandas.read_csv(...)"`.
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
OUT.mkdir(parents=True, exist_ok=True)
CSV = OUT / "numeric_1m_x21.csv"
BIN = ROOT / "target" / "release" / "pai-engine"
ROUNDS = 3

if not CSV.exists():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((1_000_000, 20)), columns=[f"f{i}" for i in range(20)])
    df["label"] = rng.integers(0, 2, 1_000_000)
    df.to_csv(CSV, index=False)
size_mb = CSV.stat().st_size / 1e6

def best(f):
    return min(f() for _ in range(ROUNDS))

def pandas_inproc():
    t = time.perf_counter(); df = pd.read_csv(CSV); d = time.perf_counter() - t
    assert df.shape == (1_000_000, 21)
    return d

def pandas_process():
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import pandas; pandas.read_csv({str(CSV)!r})"], check=True)
    return time.perf_counter() - t

work = Path(tempfile.mkdtemp())
manifest = work / "read.yaml"
manifest.write_text(f"""apiVersion: pai-engine/v1
kind: Pipeline
metadata: {{ name: read-bench }}
spec:
  nodes:
    - id: read
      component: read_table
      params: {{ path: {CSV} }}
""")
env = dict(os.environ, PAI_HOME=str(work / ".pai"))

def engine():
    t = time.perf_counter()
    subprocess.run([str(BIN), "run", "-q", str(manifest)], check=True, env=env)
    whole = time.perf_counter() - t
    runs = json.loads(subprocess.run([str(BIN), "runs", "list", "--format", "json", "--limit", "1"], check=True, env=env, capture_output=True).stdout)
    show = json.loads(subprocess.run([str(BIN), "runs", "show", runs[0]["id"], "--format", "json"], check=True, env=env, capture_output=True).stdout)
    node = show["nodes"][0]
    assert node["metrics"]["rows"] == 1_000_000 and node["metrics"]["columns"] == 21
    return node["duration_ms"] / 1000, whole

eng = [engine() for _ in range(ROUNDS)]
eng_node, eng_whole = min(e[0] for e in eng), min(e[1] for e in eng)
pd_in, pd_proc = best(pandas_inproc), best(pandas_process)
print(f"file: {CSV.name} ({size_mb:.0f} MB), cores: {os.cpu_count()}, pandas {pd.__version__}")
print(f"{'':34} {'pai-engine':>12} {'pandas':>12} {'ratio':>8}")
print(f"{'in-process (read_table node)':34} {eng_node:>11.3f}s {pd_in:>11.3f}s {pd_in/eng_node:>7.2f}x")
print(f"{'whole process':34} {eng_whole:>11.3f}s {pd_proc:>11.3f}s {pd_proc/eng_whole:>7.2f}x")
