#!/usr/bin/env bash
# Regenerates every `<name>.expected.csv` in this folder by scoring
# `<name>.input.csv` with `<name>.pmml` through JPMML-Evaluator
# (`/work/shared/tools/pmml-oracle`, jpmml_evaluator 0.16.0 / JPMML-Evaluator 1.7.7).
# `pai_designer_lr` uses the shared fixture document.
set -euo pipefail
cd "$(dirname "$0")"
oracle="${PMML_ORACLE:-../../../../../shared/tools/pmml-oracle}"
for input in *.input.csv; do
  name="${input%.input.csv}"
  model="$name.pmml"
  [ "$name" = pai_designer_lr ] && model=../../../../../shared/fixtures/pmml/pai_designer_lr.pmml
  "$oracle" "$model" "$input" "$name.expected.csv"
done
