"""The peer of `bench/serve.sh`: a FastAPI + uvicorn + scikit-learn server
for the same model as the engine's service — a StandardScaler and a
LogisticRegression (C = 1, lbfgs) fitted on data/breast_cancer.csv — with
the same request and response shapes as the engine's EAS endpoint (a JSON
array of objects in; out, a JSON array of objects with the label as
`prediction_result` and each class's probability in `prediction_detail`).

Usage: python serve_fastapi.py PORT
"""

import sys

import pandas as pd
import uvicorn
from fastapi import FastAPI, Request
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = pd.read_csv(__file__.rsplit("/", 2)[0] + "/data/breast_cancer.csv")
features = [c for c in data.columns if c != "diagnosis"]
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(data[features].to_numpy(), data["diagnosis"].to_numpy())
classes = [int(c) for c in model.classes_]
keys = [str(c) for c in classes]

app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    rows = await request.json()
    x = [[float(r.get(f, 0.0)) for f in features] for r in rows]
    proba = model.predict_proba(x)
    out = []
    for p in proba:
        best = max(range(len(classes)), key=lambda i: p[i])
        detail = {k: float(v) for k, v in zip(keys, p)}
        out.append({"prediction_result": classes[best], "prediction_detail": detail})
    return out


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, log_level="warning")
