#!/usr/bin/env bash
# PMML scoring (issue 4), side by side in one run: pai-pmml vs JPMML-Evaluator
# 1.7.7 (jpmml_evaluator 0.16.0) on the same records.
#
#   bash bench/pmml.sh [ROWS] [REPS]     (defaults: 200000 records, 5 timed runs)
#
# 1. bench/pmml_jpmml.py prepare: a 50-tree GBDT (and a 100-tree GBR for the
#    load figure) exported by sklearn2pmml 0.133.1 from scikit-learn 1.9.0,
#    and ROWS jittered breast_cancer records (bench/out/pmml/).
# 2. For the breast_cancer scaler + logistic regression fixture and the
#    50-tree GBDT: the engine's batch throughput (release build, public
#    pai-pmml API `evaluate_batch`, CSV reading excluded; example
#    batch_throughput), then JPMML's `evaluateAll` on the same CSV (JVM start,
#    model loading and CSV reading excluded), the ratio, and the largest
#    difference between the two engines' probability(1).
# 3. Single-record latency and 100-tree load+compile (example bench).
#
# Python peers live in their own virtual environment (PAI_PMML_BENCH_VENV,
# default ~/.cache/pai-engine/pmml-bench-venv), created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-200000}"
reps="${2:-5}"
out=bench/out/pmml
venv="${PAI_PMML_BENCH_VENV:-$HOME/.cache/pai-engine/pmml-bench-venv}"
if ! "$venv/bin/python" -c 'import jpmml_evaluator, sklearn2pmml, sklearn' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'jpmml_evaluator==0.16.0' 'pandas>=2' \
    'scikit-learn==1.9.0' 'sklearn2pmml==0.133.1'
fi
mkdir -p "$out"
if [ ! -f "$out/rows.csv" ] || [ "$(($(wc -l <"$out/rows.csv") - 1))" != "$rows" ]; then
  "$venv/bin/python" bench/pmml_jpmml.py prepare "$out" "$rows"
fi
source bench/profile.sh
cargo build --profile "$profile" --quiet -p pai-pmml --example batch_throughput --example bench
bin="$target/$profile/examples"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
declare -A docs=(
  [lr_scaled_breast_cancer]=tests/fixtures/pmml/lr_scaled_breast_cancer.sklearn2pmml.pmml
  [gbdt50_breast_cancer]="$out/gbdt50_breast_cancer.pmml"
)
for name in lr_scaled_breast_cancer gbdt50_breast_cancer; do
  doc="${docs[$name]}"
  echo "== $name ($rows records)"
  engine=$("$bin/batch_throughput" "$doc" "$out/rows.csv" "$reps" "$out/$name.engine_probs.txt")
  echo "$engine"
  jpmml=$("$venv/bin/python" bench/pmml_jpmml.py time "$doc" "$out/rows.csv" \
    "$out/$name.engine_probs.txt" "$reps")
  echo "$jpmml"
  e=$(sed -n 's/.*best \([0-9]*\) records.*/\1/p' <<<"$engine")
  for kind in core python; do
    j=$(sed -n "s/jpmml $kind.*best \([0-9,]*\) records.*/\1/p" <<<"$jpmml" | tr -d ,)
    echo "ratio engine / jpmml $kind evaluateAll (best of each): $(awk -v a="$e" -v b="$j" 'BEGIN { printf "%.1f×", a / b }')"
  done
done
echo "== single record and load+compile"
"$bin/bench" "$out/gbr100_diabetes.pmml"
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
