//! The OpenAPI 3.0 document of the server, served at `/openapi.json`:
//! built by hand with `serde_json`, one operation per route of
//! [`crate::routes::ROUTES`] (the tests there check both ways).

use serde_json::{Value, json};

fn error_responses(codes: &[u16]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for c in codes {
        let text = match c {
            400 => "Malformed request: bad JSON, wrong types or shapes",
            401 => "Missing or wrong token",
            402 => "The monthly budget refuses the update",
            404 => "Unknown service, version or route",
            409 => "The service's state does not allow this",
            413 => "The body is larger than `max_body_bytes`",
            422 => "The model failed to load or to pass its check; the old version keeps serving",
            503 => "The service is not serving, or the catalog is unavailable",
            _ => "Error",
        };
        m.insert(
            c.to_string(),
            json!({"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    m
}

fn op(summary: &str, ok: Value, errors: &[u16], extra: Value) -> Value {
    let mut responses = error_responses(errors);
    responses.insert("200".into(), ok);
    let mut o = json!({"summary": summary, "responses": responses});
    if let (Some(o), Value::Object(extra)) = (o.as_object_mut(), extra) {
        o.extend(extra);
    }
    o
}

/// Answers 201 (created) instead of 200.
fn created(mut o: Value) -> Value {
    if let Some(r) = o.get_mut("responses").and_then(Value::as_object_mut)
        && let Some(mut ok) = r.remove("200")
    {
        ok["description"] = "Created; the service starts `Creating`".into();
        r.insert("201".into(), ok);
    }
    o
}

fn ok_json(schema: Value) -> Value {
    json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
}

fn body(schema: Value, required: bool) -> Value {
    json!({"required": required, "content": {"application/json": {"schema": schema}}})
}

fn path_param(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

/// Answers 503 with no body while not ready.
fn not_ready(mut o: Value) -> Value {
    o["responses"]["503"] =
        json!({"description": "The first reconcile pass is not done yet (no body)"});
    o
}

/// The header giving the JSON part's length of a binary-data body.
const HEADER_LEN: &str = "Inference-Header-Content-Length";

/// A V2 inference operation: a JSON body, or (binary tensor data
/// extension) a JSON header followed by raw tensor bytes.
fn infer(summary: &str, req: &Value, resp: &Value, security: &Value) -> Value {
    let binary = json!({"type": "string", "format": "binary", "description": format!("The JSON request (its length in `{HEADER_LEN}`) followed by the tensors' raw bytes")});
    let mut o = op(
        summary,
        ok_json(resp.clone()),
        &[400, 401, 404, 413, 503],
        json!({
            "security": security,
            "parameters": [{"name": HEADER_LEN, "in": "header", "required": false, "schema": {"type": "integer", "minimum": 0}, "description": "Binary tensor data: the length of the JSON part of the body"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": req}, "application/octet-stream": {"schema": binary}}}
        }),
    );
    o["responses"]["200"] = json!({
        "description": "OK; the answer is binary (`application/octet-stream`, with `Inference-Header-Content-Length`) when an output asks for `binary_data` (or the request for `binary_data_output`)",
        "headers": {HEADER_LEN: {"schema": {"type": "integer"}, "description": "The length of the JSON part of a binary answer"}},
        "content": {"application/json": {"schema": resp}, "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    });
    o
}

/// The OpenAPI document.
pub fn document() -> Value {
    let admin = json!([{"adminToken": []}]);
    let service = json!([{"serviceToken": []}]);
    let name = path_param("name", "The service (model) name");
    let version = path_param("version", "The version number");
    let status = json!({"$ref": "#/components/schemas/ServiceStatus"});
    let rows = json!({"type": "array", "items": {"type": "object", "additionalProperties": true}});
    let infer_req = json!({"$ref": "#/components/schemas/InferRequest"});
    let infer_resp = json!({"$ref": "#/components/schemas/InferResponse"});
    let meta = json!({"$ref": "#/components/schemas/ModelMetadata"});
    let plain_ok = json!({"description": "OK"});
    let svc_op = |summary: &str, errors: &[u16], extra: Value| {
        op(summary, ok_json(status.clone()), errors, extra)
    };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "pai-engine serve",
            "version": pai_core::ENGINE_VERSION,
            "description": "Online prediction services: the admin API, the EAS predict API, the KServe V2 inference protocol and Prometheus metrics."
        },
        "paths": {
            "/api/v2/services": {
                "get": op("List services", ok_json(json!({"type": "array", "items": status})), &[401, 503], json!({"security": admin})),
                "post": created(op("Create a service", ok_json(status.clone()), &[400, 401, 409, 413, 503],
                    json!({"security": admin, "requestBody": body(json!({"$ref": "#/components/schemas/ServiceSpec"}), true)})))
            },
            "/api/v2/services/{name}": {
                "parameters": [name],
                "get": svc_op("Show a service", &[401, 404, 503], json!({"security": admin})),
                "put": svc_op("Update a Running service: the body is merged into its description; the new version loads and is checked while the old one serves, then replaces it atomically", &[400, 401, 402, 404, 409, 413, 422, 503],
                    json!({"security": admin, "requestBody": body(json!({"type": "object", "description": "A partial ServiceSpec (typically `model_path`), optionally with `usage`", "properties": {"usage": {"$ref": "#/components/schemas/UsageContext"}}, "additionalProperties": true}), true)})),
                "delete": op("Delete a service and its versions", ok_json(json!({"type": "object", "properties": {"deleted": {"type": "string"}}})), &[401, 404, 503], json!({"security": admin}))
            },
            "/api/v2/services/{name}/version": {
                "parameters": [name],
                "put": svc_op("Roll back: make `version` (default: the one before the current) current again; the pointer moves and no version is added", &[400, 401, 404, 409, 413, 422, 503],
                    json!({"security": admin, "requestBody": body(json!({"type": "object", "properties": {"version": {"type": "integer", "minimum": 1}}, "additionalProperties": false}), false)}))
            },
            "/api/v2/services/{name}/stop": {"parameters": [name], "post": svc_op("Stop a service", &[401, 404, 503], json!({"security": admin}))},
            "/api/v2/services/{name}/start": {"parameters": [name], "post": svc_op("Start a stopped or failed service", &[401, 404, 503], json!({"security": admin}))},
            "/api/predict/{name}": {
                "parameters": [name],
                "post": op("EAS predict: an array of objects keyed by field name in, an array of result objects out", ok_json(rows.clone()), &[400, 401, 404, 413, 503],
                    json!({"security": service, "requestBody": body(rows, true)}))
            },
            "/v2": {"get": op("Server metadata", ok_json(json!({"$ref": "#/components/schemas/ServerMetadata"})), &[], json!({}))},
            "/v2/health/live": {"get": op("Liveness", plain_ok.clone(), &[], json!({}))},
            "/v2/health/ready": {"get": not_ready(op("Readiness (after the first reconcile pass)", plain_ok.clone(), &[], json!({})))},
            "/v2/models/{name}": {"parameters": [name], "get": op("Model metadata", ok_json(meta.clone()), &[401, 404, 503], json!({"security": service}))},
            "/v2/models/{name}/ready": {"parameters": [name], "get": op("Model readiness", plain_ok.clone(), &[401, 404, 503], json!({"security": service}))},
            "/v2/models/{name}/infer": {"parameters": [name], "post": infer("Inference", &infer_req, &infer_resp, &service)},
            "/v2/models/{name}/versions/{version}": {"parameters": [name, version], "get": op("Model version metadata", ok_json(meta), &[401, 404, 503], json!({"security": service}))},
            "/v2/models/{name}/versions/{version}/ready": {"parameters": [name, version], "get": op("Model version readiness", plain_ok, &[401, 404, 503], json!({"security": service}))},
            "/v2/models/{name}/versions/{version}/infer": {"parameters": [name, version], "post": infer("Inference on a version", &infer_req, &infer_resp, &service)},
            "/metrics": {"get": op("Prometheus metrics", json!({"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}), &[], json!({}))},
            "/openapi.json": {"get": op("This document", ok_json(json!({"type": "object"})), &[], json!({}))}
        },
        "components": {
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer", "description": "The admin token (`Bearer <token>` or the raw token)"},
                "serviceToken": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "The service's token"}
            },
            "schemas": {
                "ServerMetadata": {"type": "object", "required": ["name", "version", "extensions"], "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "extensions": {"type": "array", "items": {"type": "string"}}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "UsageContext": {"type": "object", "required": ["project"], "properties": {"project": {"type": "string"}, "pipeline": {"type": "string"}, "run_id": {"type": "string"}, "node": {"type": "string"}}},
                "ServiceSpec": {
                    "type": "object", "required": ["name", "model_path", "processor"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
                        "model_path": {"type": "string", "description": "oss://bucket/key, a file path, or offline-model://project/NAME[@V]"},
                        "processor": {"type": "string", "enum": ["pmml", "pai-pipeline"]},
                        "metadata": {"type": "object", "properties": {"instance": {"type": "integer", "minimum": 1}, "cpu": {"type": "number"}, "memory": {"type": "integer"}}, "additionalProperties": true},
                        "token": {"type": "string"},
                        "missing_values": {"type": "string", "enum": ["model", "eas_defaults"]}
                    },
                    "additionalProperties": true
                },
                "VersionInfo": {"type": "object", "properties": {"version": {"type": "integer"}, "model_path": {"type": "string"}, "processor": {"type": "string"}, "source": {"type": "string"}, "created_at": {"type": "string"}, "current": {"type": "boolean"}}},
                "ServiceStatus": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "state": {"type": "string", "enum": ["Creating", "Running", "Updating", "Stopped", "Failed"]},
                        "reason": {"type": "string"},
                        "version": {"type": "integer"}, "latest_version": {"type": "integer"},
                        "desired": {"type": "string", "enum": ["running", "stopped"]},
                        "endpoint": {"type": "string"}, "token": {"type": "string"},
                        "model_path": {"type": "string"}, "processor": {"type": "string"},
                        "metadata": {"type": "object"}, "missing_values": {"type": "string"},
                        "created_at": {"type": "string"}, "updated_at": {"type": "string"},
                        "versions": {"type": "array", "items": {"$ref": "#/components/schemas/VersionInfo"}}
                    }
                },
                "Tensor": {"type": "object", "required": ["name", "shape", "datatype"], "properties": {"name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer"}}, "datatype": {"type": "string"}, "parameters": {"type": "object"}, "data": {"type": "array", "items": {}}}},
                "InferRequest": {"type": "object", "required": ["inputs"], "properties": {"id": {"type": "string"}, "parameters": {"type": "object"}, "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}}, "outputs": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}}}}}},
                "InferResponse": {"type": "object", "properties": {"model_name": {"type": "string"}, "model_version": {"type": "string"}, "id": {"type": "string"}, "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}}}},
                "ModelMetadata": {"type": "object", "properties": {"name": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}}, "platform": {"type": "string"}, "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}}, "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}}}}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_path_has_operations_with_responses() {
        let d = super::document();
        assert_eq!(d["openapi"], "3.0.3");
        let paths = d["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 17);
        for (p, item) in paths {
            let ops: Vec<_> = ["get", "post", "put", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .collect();
            assert!(!ops.is_empty(), "{p}");
            for m in ops {
                let r = &item[*m]["responses"];
                assert!(r["200"].is_object() || r["201"].is_object(), "{p} {m}");
            }
            if p.contains("{name}") {
                assert!(item["parameters"].is_array(), "{p}");
            }
        }
    }

    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(xs) => xs.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_names_a_component() {
        let d = super::document();
        let mut found = Vec::new();
        refs(&d, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let ptr = r.strip_prefix('#').unwrap();
            assert!(d.pointer(ptr).is_some(), "dangling `{r}`");
        }
    }

    #[test]
    fn binary_inference_and_bare_readiness_are_described() {
        let d = super::document();
        let infer = &d["paths"]["/v2/models/{name}/infer"]["post"];
        assert!(infer["requestBody"]["content"]["application/octet-stream"].is_object());
        assert!(infer["responses"]["200"]["content"]["application/octet-stream"].is_object());
        assert_eq!(
            infer["parameters"][0]["name"],
            "Inference-Header-Content-Length"
        );
        let ready = &d["paths"]["/v2/health/ready"]["get"]["responses"]["503"];
        assert!(ready.is_object() && ready.get("content").is_none());
    }
}
