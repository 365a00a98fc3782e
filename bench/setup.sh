#!/usr/bin/env bash
# Creates bench/.venv with the Python peers the benchmarks compare against.
set -euo pipefail
cd "$(dirname "$0")"
if ! .venv/bin/python -c 'import pandas, numpy, pyarrow, sklearn' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet 'pandas>=2.2' 'numpy>=2' 'pyarrow>=15' 'scikit-learn>=1.5'
fi
