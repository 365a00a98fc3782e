//! The route table: every `(method, path, handler)` the server answers.
//! [`crate::server::router`] is built from [`ROUTES`], and the OpenAPI
//! document is checked against the same table, so neither can drift.

use std::sync::Arc;

use axum::routing::{MethodFilter, MethodRouter, on};

use crate::app::App;
use crate::{admin, predict, server, v2};

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET` (axum answers `HEAD` with it too).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The axum filter of this method.
    pub fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    /// The key of the operation in an OpenAPI path item (`get`, `post`…).
    pub fn openapi_key(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Delete => "delete",
        }
    }
}

/// Builds the method router of a handler for a method filter.
type Handler = fn(MethodFilter) -> MethodRouter<Arc<App>>;

/// One route: a method, an axum path (`{param}` syntax, as in OpenAPI)
/// and its handler.
pub struct Route {
    /// The method.
    pub verb: Verb,
    /// The path.
    pub path: &'static str,
    /// The handler.
    pub handler: Handler,
}

const fn route(verb: Verb, path: &'static str, handler: Handler) -> Route {
    Route {
        verb,
        path,
        handler,
    }
}

use Verb::{Delete, Get, Post, Put};

/// Every route of the server.
pub const ROUTES: &[Route] = &[
    route(Get, "/api/v2/services", |m| on(m, admin::list)),
    route(Post, "/api/v2/services", |m| on(m, admin::create)),
    route(Get, "/api/v2/services/{name}", |m| on(m, admin::show)),
    route(Put, "/api/v2/services/{name}", |m| on(m, admin::update)),
    route(Delete, "/api/v2/services/{name}", |m| on(m, admin::delete)),
    route(Put, "/api/v2/services/{name}/version", |m| {
        on(m, admin::rollback)
    }),
    route(Post, "/api/v2/services/{name}/stop", |m| on(m, admin::stop)),
    route(Post, "/api/v2/services/{name}/start", |m| {
        on(m, admin::start)
    }),
    route(Post, "/api/predict/{name}", |m| on(m, predict::predict)),
    route(Get, "/v2", |m| on(m, v2::server_metadata)),
    route(Get, "/v2/health/live", |m| on(m, v2::live)),
    route(Get, "/v2/health/ready", |m| on(m, v2::ready)),
    route(Get, "/v2/models/{name}", |m| on(m, v2::metadata)),
    route(Get, "/v2/models/{name}/ready", |m| on(m, v2::model_ready)),
    route(Post, "/v2/models/{name}/infer", |m| on(m, v2::infer)),
    route(Get, "/v2/models/{name}/versions/{version}", |m| {
        on(m, v2::metadata_version)
    }),
    route(Get, "/v2/models/{name}/versions/{version}/ready", |m| {
        on(m, v2::model_version_ready)
    }),
    route(Post, "/v2/models/{name}/versions/{version}/infer", |m| {
        on(m, v2::infer_version)
    }),
    route(Get, "/metrics", |m| on(m, server::metrics)),
    route(Get, "/openapi.json", |m| on(m, server::openapi)),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::{StatusCode, header};
    use serde_json::Value;

    use super::ROUTES;

    /// The operation keys an OpenAPI 3.0 path item may hold.
    const OPERATIONS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    fn routed() -> BTreeSet<(String, String)> {
        ROUTES
            .iter()
            .map(|r| (r.path.to_string(), r.verb.openapi_key().to_string()))
            .collect()
    }

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let paths = doc["paths"].as_object().expect("`paths` is an object");
        let mut out = BTreeSet::new();
        for (path, item) in paths {
            let item = item.as_object().expect("a path item is an object");
            for key in item.keys().filter(|k| OPERATIONS.contains(&k.as_str())) {
                out.insert((path.clone(), key.clone()));
            }
        }
        out
    }

    #[test]
    fn no_route_is_listed_twice() {
        assert_eq!(routed().len(), ROUTES.len());
    }

    #[test]
    fn every_route_is_documented() {
        let doc = crate::openapi::document();
        let missing: Vec<_> = routed().difference(&documented(&doc)).cloned().collect();
        assert!(
            missing.is_empty(),
            "routes missing from the document: {missing:?}"
        );
    }

    #[test]
    fn every_documented_operation_is_routed() {
        let doc = crate::openapi::document();
        let extra: Vec<_> = documented(&doc).difference(&routed()).cloned().collect();
        assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    }

    #[test]
    fn documented_path_parameters_match_the_path() {
        let doc = crate::openapi::document();
        for (path, item) in doc["paths"].as_object().expect("`paths`") {
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            let declared: BTreeSet<&str> = item["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(in_path, declared, "{path}");
        }
    }

    #[tokio::test]
    async fn the_document_is_served_as_json() {
        assert!(ROUTES.iter().any(|r| r.path == "/openapi.json"));
        let resp = crate::server::openapi().await;
        assert_eq!(resp.status(), StatusCode::OK);
        let ct = resp.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(ct.starts_with("application/json"), "{ct}");
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let served: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(served, crate::openapi::document());
    }
}
