"""read_table vs pandas.read_csv, side by side, on the same file.

Prints the median and the best of ROUNDS rounds (each round runs both
sides, interleaved, so that a load on the machine hits both alike):
- in-process: the `read_table` node's duration as recorded by the engine
  (parse + type inference + writing and digesting the Arrow artifact) vs
  `pandas.read_csv` inside an already-running Python;
- whole process: `pai-engine run` of a one-node pipeline vs
  `python -c "import pandas; pandas.read_csv(...)"`.

The engine binary is `$PAI_BENCH_BIN` (set by bench/profile.sh; default
`target/dist/pai-engine`); ROUNDS comes from `$ROUNDS` (default 5).
"""
import atexit, json, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
OUT.mkdir(parents=True, exist_ok=True)
CSV = OUT / "numeric_1m_x21.csv"
BIN = Path(os.environ.get("PAI_BENCH_BIN") or ROOT / "target" / "dist" / "pai-engine")
ROUNDS = int(os.environ.get("ROUNDS", "5"))

if not CSV.exists():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((1_000_000, 20)), columns=[f"f{i}" for i in range(20)])
    df["label"] = rng.integers(0, 2, 1_000_000)
    df.to_csv(CSV, index=False)
size_mb = CSV.stat().st_size / 1e6

def pandas_inproc():
    t = time.perf_counter(); df = pd.read_csv(CSV); d = time.perf_counter() - t
    assert df.shape == (1_000_000, 21)
    return d

def pandas_process():
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import pandas; pandas.read_csv({str(CSV)!r})"], check=True)
    return time.perf_counter() - t

work = Path(tempfile.mkdtemp())
atexit.register(shutil.rmtree, work, ignore_errors=True)  # each run leaves a 168 MB artifact
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

load = os.getloadavg()[0]  # before: the runs themselves load the machine
rounds = []
for _ in range(ROUNDS):
    node, whole = engine()
    rounds.append((node, whole, pandas_inproc(), pandas_process()))
print(f"file: {CSV.name} ({size_mb:.0f} MB), cores: {os.cpu_count()}, pandas {pd.__version__}, "
      f"{ROUNDS} rounds, load average at the start {load:.2f}")
print(f"{'':30} {'pai-engine':>21} {'pandas':>21} {'pandas/engine':>14}")
print(f"{'':30} {'median':>10} {'best':>10} {'median':>10} {'best':>10} {'(median)':>14}")
for name, e, p in [("in-process (read_table node)", 0, 2), ("whole process", 1, 3)]:
    em, eb = statistics.median(r[e] for r in rounds), min(r[e] for r in rounds)
    pm, pb = statistics.median(r[p] for r in rounds), min(r[p] for r in rounds)
    print(f"{name:30} {em:>9.3f}s {eb:>9.3f}s {pm:>9.3f}s {pb:>9.3f}s {pm/em:>13.2f}x")
