#!/usr/bin/env bash
# Online serving, side by side: `pai-engine serve` against a FastAPI +
# uvicorn + scikit-learn server (one worker) for the same breast_cancer
# scaler + logistic regression pipeline, both loaded by `wrk -t2 -c32 -d10s`
# on 127.0.0.1 on the same machine, with the same request bodies. Prints
# single-row throughput and p99, 1,000-row batch throughput in rows/s, and
# throughput during 100 consecutive hot updates against the steady state.
# Figures go to docs/BENCHMARKS.md ("Online serving").
#
# Needs wrk (apt-get install wrk) and the bench venv (bench/setup.sh plus
# fastapi and uvicorn, installed here). The binary is taken from
# `$CARGO_TARGET_DIR` (default `target/`). `DURATION=5s` shortens each load.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bash bench/setup.sh
py="$repo/bench/.venv/bin/python"
if ! "$py" -c 'import fastapi, uvicorn' 2>/dev/null; then
  bench/.venv/bin/pip install --quiet 'fastapi>=0.110' 'uvicorn>=0.29'
fi
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 2; }
source bench/profile.sh
cargo build --profile "$profile" --quiet
bin="$PAI_BENCH_BIN"
duration="${DURATION:-10s}"
echo "machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

work=$(mktemp -d)
cleanup() {
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null
  kill "${serve_pid:-}" "${peer_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
cp -r "$repo/pipelines" "$repo/data" .
export PAI_HOME="$work/.pai" PAI_ADMIN_TOKEN=bench-admin
# Run twice: OfflineModel dev/bc_pipeline versions 1 and 2 (the same
# training), which the hot updates alternate between.
"$bin" run -q pipelines/pipeline_model.yaml
"$bin" run -q pipelines/pipeline_model.yaml

port=18080; peer_port=18081
"$bin" serve --listen "127.0.0.1:$port" >serve.log 2>&1 &
serve_pid=$!
export PAI_SERVER="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$PAI_SERVER/v2/health/live" >/dev/null && break; sleep 0.1; done
echo '{"name": "bc", "model_path": "offline-model://dev/bc_pipeline@1", "processor": "pai-pipeline", "token": "bench-token"}' >svc.json
"$bin" services create --json svc.json >/dev/null

"$py" "$repo/bench/serve_fastapi.py" "$peer_port" >peer.log 2>&1 &
peer_pid=$!

# Request bodies: one row, and 1,000 rows, from the committed data (the
# feature values exactly as the CSV spells them).
"$py" - <<'PY'
import csv
rows = list(csv.DictReader(open("data/breast_cancer.csv")))
feats = [k for k in rows[0] if k != "diagnosis"]
obj = lambda r: "{" + ", ".join(f'"{k}": {r[k]}' for k in feats) + "}"
open("one.json", "w").write("[" + obj(rows[0]) + "]")
open("batch.json", "w").write("[" + ", ".join(obj(rows[i % len(rows)]) for i in range(1000)) + "]")
PY
echo "bodies: one row $(wc -c <one.json) bytes, 1,000 rows $(wc -c <batch.json) bytes"

engine_url="$PAI_SERVER/api/predict/bc"
peer_url="http://127.0.0.1:$peer_port/predict"
for _ in $(seq 300); do curl -fs -o /dev/null -X POST --data-binary @one.json "$peer_url" && break; sleep 0.1; done

# One request to each, printed; then every answer to the 1,000-row body
# compared (same labels, probabilities within 1e-6: the same model).
echo "pai-engine: $(curl -sS -w ' (HTTP %{http_code})' -H 'Authorization: bench-token' --data-binary @one.json "$engine_url")"
echo "FastAPI:    $(curl -sS -w ' (HTTP %{http_code})' -H 'Content-Type: application/json' --data-binary @one.json "$peer_url")"
curl -fsS -H 'Authorization: bench-token' --data-binary @batch.json "$engine_url" >engine_batch.out
curl -fsS -H 'Content-Type: application/json' --data-binary @batch.json "$peer_url" >peer_batch.out
"$py" - <<'PY'
import json
e, p = json.load(open("engine_batch.out")), json.load(open("peer_batch.out"))
assert len(e) == len(p) == 1000, (len(e), len(p))
same = sum(a["prediction_result"] == b["prediction_result"] for a, b in zip(e, p))
dp = max(abs(a["prediction_detail"][k] - b["prediction_detail"][k]) for a, b in zip(e, p) for k in a["prediction_detail"])
print(f"1,000-row answers: labels equal on {same}/1000 rows, max |Δp| {dp:.2e}")
assert same == 1000 and dp < 1e-6
PY

load() { # url body token -> "req/s p99 non-2xx socket-errors"
  WRK_BODY="$2" WRK_TOKEN="$3" wrk -t2 -c32 -d"$duration" --timeout 10s --latency \
    -s "$repo/bench/post.lua" "$1" >wrk.out
  summarize wrk.out
}
summarize() {
  rps=$(awk '/Requests\/sec/ {print $2}' "$1")
  p99=$(awk '$1 == "99%" {print $2}' "$1")
  errors=$(awk '/Non-2xx/ {print $NF}' "$1")
  socket=$(awk '/Socket errors/ {sub(/.*errors: /, ""); gsub(/ /, ""); print}' "$1")
  echo "$rps $p99 ${errors:-0} ${socket:-none}"
}

read -r e_rps e_p99 e_err e_sock <<<"$(load "$engine_url" one.json bench-token)"
read -r f_rps f_p99 f_err f_sock <<<"$(load "$peer_url" one.json "")"
echo "single row: pai-engine ${e_rps} req/s (p99 ${e_p99}, non-2xx ${e_err}, socket errors ${e_sock}); FastAPI+sklearn ${f_rps} req/s (p99 ${f_p99}, non-2xx ${f_err}, socket errors ${f_sock})"
awk -v a="$e_rps" -v b="$f_rps" 'BEGIN { printf "  ratio: %.1fx\n", a / b }'

read -r eb_rps eb_p99 eb_err eb_sock <<<"$(load "$engine_url" batch.json bench-token)"
read -r fb_rps fb_p99 fb_err fb_sock <<<"$(load "$peer_url" batch.json "")"
awk -v a="$eb_rps" -v b="$fb_rps" -v p="$eb_p99" -v q="$fb_p99" -v e="$eb_err/$eb_sock" -v f="$fb_err/$fb_sock" 'BEGIN {
  printf "1,000-row batches: pai-engine %.0f rows/s (p99 %s, non-2xx/socket errors %s); FastAPI+sklearn %.0f rows/s (p99 %s, %s); ratio %.1fx\n", a * 1000, p, e, b * 1000, q, f, a / b }'

# Hot updates: the steady state, then single-row load while one client
# sends 100 consecutive updates (alternating OfflineModel versions 1 and 2:
# each a full load, probe check and swap) over one keep-alive connection;
# wrk is stopped (SIGINT, it then reports) as soon as the 100th update is
# answered, so its figure covers exactly the update period.
read -r s_rps s_p99 _ _ <<<"$(load "$engine_url" one.json bench-token)"
WRK_BODY=one.json WRK_TOKEN=bench-token wrk -t2 -c32 -d120s --timeout 10s --latency \
  -s "$repo/bench/post.lua" "$engine_url" >wrk_updates.out &
wrk_pid=$!
sleep 1
"$py" - "$port" <<'PY'
import http.client, json, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
headers = {"Authorization": "Bearer bench-admin", "Content-Type": "application/json"}
start, ok = time.perf_counter(), 0
for i in range(100):
    body = json.dumps({"model_path": f"offline-model://dev/bc_pipeline@{2 - i % 2}"})
    conn.request("PUT", "/api/v2/services/bc", body, headers)
    r = conn.getresponse()
    r.read()
    ok += r.status == 200
secs = time.perf_counter() - start
print(f"  100 updates: {ok} answered 200, {secs:.2f} s ({1000 * secs / 100:.1f} ms each)")
PY
kill -INT "$wrk_pid"
wait "$wrk_pid" || true
wrk_pid=
read -r u_rps u_p99 u_err u_sock <<<"$(summarize wrk_updates.out)"
version=$("$bin" services show bc --format json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["version"])')
awk -v s="$s_rps" -v u="$u_rps" -v v="$version" -v e="$u_err" -v k="$u_sock" -v p="$s_p99" -v q="$u_p99" 'BEGIN {
  printf "hot updates: steady %.0f req/s (p99 %s), during 100 updates %.0f req/s (p99 %s; %.1f%% of steady), non-2xx %s, socket errors %s, final version %s\n", s, p, u, q, 100 * u / s, e, k, v }'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
