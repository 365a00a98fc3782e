"""lorenz_curve on 10,000,000 float64 values from a Parquet column.

Side by side, best of 3:
- whole process: `pai-engine run` (read_table -> lorenz_curve) vs a Python
  script doing pandas.read_parquet + numpy sort + cumsum (+ the Gini);
- compute alone: the lorenz_curve node's duration with computing_cores 1 vs 2;
- peak RSS of the engine process vs the column's size (80 MB).
"""
import json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
OUT.mkdir(parents=True, exist_ok=True)
PARQUET = OUT / "lorenz_10m.parquet"
BIN = Path(os.environ.get("PAI_BENCH_BIN") or ROOT / "target" / "dist" / "pai-engine")
N = 10_000_000

if not PARQUET.exists():
    rng = np.random.default_rng(0)
    pd.DataFrame({"score": rng.lognormal(0.0, 1.0, N)}).to_parquet(PARQUET, index=False)

PEER = f"""
import numpy as np, pandas as pd
x = np.sort(pd.read_parquet({str(PARQUET)!r})["score"].to_numpy())
c = np.cumsum(x)
n = len(x)
g = 2.0 * np.dot(np.arange(1, n + 1), x) / (n * c[-1]) - (n + 1) / n
curve = c[(np.arange(1, 101) * n) // 100 - 1] / c[-1]
print(repr(float(g)))
"""

def timed(cmd, env=None):
    """Wall time and peak RSS (MB) of a command, measured by a fresh wrapper."""
    wrapper = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(json.dumps([time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode, p.stdout, p.stderr]))")
    r = json.loads(subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env).stdout)
    assert r[2] == 0, r[4]
    return r[0], r[1], r[3]

work = Path(tempfile.mkdtemp())
env = dict(os.environ, PAI_HOME=str(work / ".pai"))

def engine(cores):
    m = work / f"lorenz{cores}.yaml"
    m.write_text(f"""apiVersion: pai-engine/v1
kind: Pipeline
metadata: {{ name: lorenz-bench }}
spec:
  nodes:
    - id: read
      component: read_table
      params: {{ path: {PARQUET} }}
    - id: lorenz
      component: lorenz_curve
      inputs: {{ data: read.output }}
      params: {{ select_fields: [score], quantile: 100, computing_cores: {cores} }}
""")
    wall, rss, _ = timed([str(BIN), "run", "-q", str(m)], env)
    runs = json.loads(subprocess.run([str(BIN), "runs", "list", "--format", "json", "--limit", "1"], env=env, capture_output=True, text=True).stdout)
    show = json.loads(subprocess.run([str(BIN), "runs", "show", runs[0]["id"], "--format", "json"], env=env, capture_output=True, text=True).stdout)
    node = [n for n in show["nodes"] if n["node_id"] == "lorenz"][0]
    logs = subprocess.run([str(BIN), "runs", "logs", runs[0]["id"], "lorenz"], env=env, capture_output=True, text=True).stdout
    line = [l for l in logs.splitlines() if "sorted and reduced in" in l][0]
    buffered = float(line.split(" rows in ")[1].split(" ms")[0]) / 1000
    sorted_ = float(line.split("sorted and reduced in ")[1].split(" ms")[0]) / 1000
    return wall, rss, node["duration_ms"] / 1000, node["metrics"]["fields"]["score"]["gini"], buffered + sorted_

rounds = [engine(2) for _ in range(3)]
e_wall, e_rss = min(r[0] for r in rounds), min(r[1] for r in rounds)
c2 = min(r[2] for r in rounds)
k2 = min(r[4] for r in rounds)
ones = [engine(1) for _ in range(3)]
c1 = min(r[2] for r in ones)
k1 = min(r[4] for r in ones)
peer = [timed([sys.executable, "-c", PEER]) for _ in range(3)]
p_wall, p_rss = min(p[0] for p in peer), min(p[1] for p in peer)
gini_engine, gini_numpy = rounds[0][3], float(peer[0][2])
col_mb = N * 8 / 1e6
print(f"10,000,000 float64 values ({col_mb:.0f} MB column), cores: {os.cpu_count()}")
print(f"whole process:   pai-engine {e_wall:.3f}s   pandas+numpy {p_wall:.3f}s   ratio {p_wall / e_wall:.2f}x")
print(f"compute alone:   1 core {k1:.3f}s   2 cores {k2:.3f}s   speed-up {k1 / k2:.2f}x (buffer + sort + reduce, from the node's log)")
print(f"whole node:      1 core {c1:.3f}s   2 cores {c2:.3f}s   speed-up {c1 / c2:.2f}x (includes reading its input artifact)")
col_mib = N * 8 / 1048576
print(f"peak RSS:        pai-engine {e_rss:.0f} MiB ({e_rss / col_mib:.2f}x the {col_mib:.0f} MiB column)   pandas+numpy {p_rss:.0f} MiB")
print(f"gini:            pai-engine {gini_engine!r}   numpy {gini_numpy!r}   |diff| {abs(gini_engine - gini_numpy):.2e}")
