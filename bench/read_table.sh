#!/usr/bin/env bash
# read_table vs pandas.read_csv on a 1,000,000-row x 21-column numeric CSV,
# measured side by side in this run. Figures go to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
source bench/profile.sh
cargo build --profile "$profile" --quiet
exec bench/.venv/bin/python bench/read_table.py
