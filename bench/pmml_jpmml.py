"""PMML batch-scoring peer for bench/pmml.sh: JPMML-Evaluator through its Python bridge.

    pmml_jpmml.py prepare OUT_DIR ROWS
        Writes, from data/breast_cancer.csv:
        - gbdt50_breast_cancer.pmml: sklearn2pmml export of a scikit-learn
          GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0)
          fitted on all 569 rows and 30 features;
        - gbr100_diabetes.pmml: GradientBoostingRegressor(n_estimators=100,
          max_depth=3, random_state=0) on diabetes, for the load+compile figure;
        - rows.csv: ROWS records; record i is a dataset row drawn at random with
          every feature multiplied by (1 + 0.01 * N(0, 1)) (seed 0), 17
          significant digits, no missing cells.

    pmml_jpmml.py time MODEL.pmml ROWS.csv ENGINE_PROBS.txt REPS
        Loads the model once (JVM start and loading not timed), reads ROWS.csv
        once (not timed), then times REPS runs of
        - `core`: Java `PythonEvaluatorUtil.evaluateAll(evaluator, Map, null, -1)`,
          the evaluateAll behind the Python API, on a Java Map built once
          (parallel stream over the machine's cores, result table included);
        - `python`: the Python API `Evaluator.evaluateAll(DataFrame)`, which
          adds the DataFrame -> pickle -> Java conversion and back.
        Prints best and median records/s of each, and the largest difference
        between JPMML's probability(1) and the engine's (ENGINE_PROBS.txt, one
        number per line, as written by the engine's batch_throughput example).
"""

import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy
import pandas

DATASETS = Path(__file__).resolve().parent.parent / "data"


def prepare(out_dir, rows):
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn2pmml import sklearn2pmml
    from sklearn2pmml.pipeline import PMMLPipeline

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bc = pandas.read_csv(DATASETS / "breast_cancer.csv")
    x, y = bc.drop(columns=["diagnosis"]), bc["diagnosis"]
    gbdt = out / "gbdt50_breast_cancer.pmml"
    if not gbdt.exists():
        p = PMMLPipeline([("clf", GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0))])
        p.fit(x, y)
        sklearn2pmml(p, str(gbdt))
    gbr = out / "gbr100_diabetes.pmml"
    if not gbr.exists():
        db = pandas.read_csv(DATASETS / "diabetes.csv")
        p = PMMLPipeline([("reg", GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=0))])
        p.fit(db.drop(columns=["progression"]), db["progression"])
        sklearn2pmml(p, str(gbr))
    rng = numpy.random.default_rng(0)
    base = x.to_numpy()[rng.integers(0, len(x), rows)]
    data = base * (1.0 + 0.01 * rng.standard_normal(base.shape))
    pandas.DataFrame(data, columns=x.columns).to_csv(out / "rows.csv", index=False, float_format="%.17g")


def rate(n, secs):
    return f"best {n / min(secs):,.0f} records/s, median {n / statistics.median(secs):,.0f} records/s"


def time_jpmml(model, rows_csv, engine_probs, reps):
    from jpmml_evaluator import make_evaluator

    evaluator = make_evaluator(model, backend="jpype").verify()
    import jpype

    df = pandas.read_csv(rows_csv)
    n = len(df)
    util = jpype.JClass("org.jpmml.evaluator.python.PythonEvaluatorUtil")
    unpickler = jpype.JClass("net.razorvine.pickle.Unpickler")()
    args = {"columns": df.columns.tolist(), "data": [df[c].tolist() for c in df.columns]}
    java_args = unpickler.loads(pickle.dumps(args, protocol=2))
    java_evaluator = evaluator.javaEvaluator

    secs = []
    for _ in range(reps):
        t = time.perf_counter()
        result = util.evaluateAll(java_evaluator, java_args, None, -1)
        secs.append(time.perf_counter() - t)
    print(f"jpmml core evaluateAll ({n} records, {reps} runs): {rate(n, secs)}")
    del result

    secs = []
    for _ in range(max(2, reps // 2)):
        t = time.perf_counter()
        out = evaluator.evaluateAll(df)
        secs.append(time.perf_counter() - t)
    print(f"jpmml python evaluateAll ({n} records, {len(secs)} runs): {rate(n, secs)}")

    errors = out["errors"].notna().sum() if "errors" in out else 0
    jp = out["probability(1)"].to_numpy(dtype=float)
    ours = numpy.loadtxt(engine_probs)
    diff = numpy.nanmax(numpy.abs(jp - ours)) if len(ours) == len(jp) else float("inf")
    print(f"jpmml vs engine: {errors} JPMML errors, max |probability(1) difference| = {diff:.3g}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "time":
        time_jpmml(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
