#!/usr/bin/env bash
# Training and prediction vs scikit-learn on make_classification(1M x 20).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
source bench/profile.sh
cargo build --profile "$profile" --quiet
exec bench/.venv/bin/python bench/train.py
