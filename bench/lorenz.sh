#!/usr/bin/env bash
# lorenz_curve on 10M values vs pandas + numpy; figures go to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
source bench/profile.sh
cargo build --profile "$profile" --quiet
exec bench/.venv/bin/python bench/lorenz.py
