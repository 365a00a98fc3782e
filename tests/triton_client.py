"""A KServe V2 round trip with the unmodified `tritonclient.http` client.

Usage: triton_client.py HOST:PORT MODEL TOKEN ROWS.json
ROWS.json holds a JSON array of objects keyed by feature name, in the
model's input order. Prints one JSON document: server liveness and
readiness, the model's metadata, and the outputs of two inferences (one
[N, F] FP64 tensor, and one named input per feature).
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient


def main():
    url, model, token, rows_path = sys.argv[1:5]
    rows = json.load(open(rows_path))
    headers = {"Authorization": token}
    client = httpclient.InferenceServerClient(url=url)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model, headers=headers),
    }
    meta = client.get_model_metadata(model, headers=headers)
    out["metadata"] = meta
    features = [i["name"] for i in meta["inputs"]] if len(meta["inputs"]) > 1 else list(rows[0].keys())
    outputs = [o["name"] for o in meta["outputs"]]

    # One [N, F] FP64 tensor.
    matrix = np.array([[float(r[f]) for f in features] for r in rows], dtype=np.float64)
    tensor = httpclient.InferInput("input", list(matrix.shape), "FP64")
    tensor.set_data_from_numpy(matrix)
    result = client.infer(
        model,
        [tensor],
        outputs=[httpclient.InferRequestedOutput(n) for n in outputs],
        headers=headers,
    )
    out["matrix"] = {n: to_list(result.as_numpy(n)) for n in outputs}

    # One named input per feature.
    named = []
    for f in features:
        col = np.array([float(r[f]) for r in rows], dtype=np.float64)
        t = httpclient.InferInput(f, [len(rows)], "FP64")
        t.set_data_from_numpy(col)
        named.append(t)
    result = client.infer(model, named, headers=headers)
    out["named"] = {n: to_list(result.as_numpy(n)) for n in outputs}

    # A wrong token is refused.
    try:
        client.infer(model, named, headers={"Authorization": "wrong"})
        out["bad_token"] = "accepted"
    except Exception as e:  # tritonclient raises InferenceServerException
        out["bad_token"] = str(e)
    print(json.dumps(out))


def to_list(a):
    if a is None:
        return None
    if a.dtype == object:
        return [x.decode() if isinstance(x, bytes) else x for x in a.reshape(-1)]
    return a.reshape(-1).tolist()


if __name__ == "__main__":
    main()
