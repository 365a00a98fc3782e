# pai-engine tasks. `just --list` shows them.

# Run an example pipeline (the quick start's dev build).
run pipeline="pipelines/breast_cancer_lr.yaml":
    cargo run -- run {{pipeline}}

# The test suite (the README's test command): ends with a summary of skipped suites.
test:
    cargo xtask test

# Regenerate the committed JSON Schema from the Rust types.
schema:
    cargo run -q -- schema > schemas/pipeline.schema.json

# What CI runs: formatting, lints, tests (and the test servers' installs).
ci:
    bash .ci/run

# The release and dist profiles side by side: clean build times, then benchmarks.
bench-profiles:
    bash bench/profiles.sh

# Benchmarks; figures go to docs/BENCHMARKS.md.
bench:
    cargo bench -p pai-scheduler --bench scheduler_overhead
    bash bench/read_table.sh
    bash bench/lorenz.sh
    bash bench/train.sh
    cargo build --profile dist --quiet && python3 bench/validate.py
    bash bench/pmml.sh
    bash bench/serve.sh
    bash bench/schedule.sh
