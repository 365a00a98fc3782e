//! A running `pai-engine serve` for the end-to-end tests, raw HTTP calls
//! to it, and the `services` commands that talk to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::{Ws, repo, stderr};

pub fn designer_pmml() -> PathBuf {
    repo().join("data/pmml/pai_designer_lr.pmml")
}

/// A running server; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(ws: &Ws) -> Server {
    start_with(ws, &[])
}

/// Starts `serve` with `extra` arguments.
pub fn start_with(ws: &Ws, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--max-body-bytes",
        "100000",
        "--poll-ms",
        "200",
    ];
    args.extend_from_slice(extra);
    let mut child = ws
        .cmd(&args)
        .env_remove("PAI_ADMIN_TOKEN")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("listening on http://") {
                let _ = tx.send(a.to_string());
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    Server { child, addr }
}

/// A response: status, head and body.
pub type Reply = (u16, String, Vec<u8>);

/// One raw HTTP/1.1 request; returns the status, headers and body.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, resp[split + 4..].to_vec())
}

pub fn post_json(addr: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let (s, _, b) = http(
        addr,
        "POST",
        path,
        &[("Authorization", token)],
        body.to_string().as_bytes(),
    );
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

pub fn services(ws: &Ws, srv: &Server, args: &[&str]) -> std::process::Output {
    let url = format!("http://{}", srv.addr);
    let mut all = vec!["services", "--server", &url];
    all.extend_from_slice(args);
    ws.cmd(&all)
        .env_remove("PAI_ADMIN_TOKEN")
        .env_remove("PAI_SERVER")
        .output()
        .unwrap()
}

pub fn show(ws: &Ws, srv: &Server, name: &str) -> Value {
    let out = services(ws, srv, &["show", name, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn create(ws: &Ws, srv: &Server, spec: &Value) -> Value {
    let file = ws.write(
        &format!("{}.json", spec["name"].as_str().unwrap()),
        &spec.to_string(),
    );
    let out = services(ws, srv, &["create", "--json", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    show(ws, srv, spec["name"].as_str().unwrap())
}

/// The first `n` rows of the committed breast_cancer data as request
/// objects (every feature, no label).
pub fn bc_rows(n: usize) -> Vec<Value> {
    let (header, data) = super::read_csv(&repo().join("data/breast_cancer.csv"));
    data.iter()
        .take(n)
        .map(|r| {
            let m: serde_json::Map<String, Value> = header
                .iter()
                .zip(r)
                .filter(|(h, _)| *h != "diagnosis")
                .map(|(h, v)| (h.clone(), serde_json::json!(v.parse::<f64>().unwrap())))
                .collect();
            Value::Object(m)
        })
        .collect()
}

/// Asserts that a service's `answer` (an array) equals, row by row, the
/// `prediction_result` and `prediction_detail` that batch `predict` wrote
/// to `scores_csv`.
pub fn assert_answers_match_batch(answer: &Value, scores_csv: &std::path::Path) {
    let (sh, scores) = super::read_csv(scores_csv);
    let pr = sh.iter().position(|h| h == "prediction_result").unwrap();
    let pd = sh.iter().position(|h| h == "prediction_detail").unwrap();
    let answers = answer.as_array().unwrap();
    assert!(answers.len() <= scores.len());
    for (a, want) in answers.iter().zip(&scores) {
        assert_eq!(
            a["prediction_result"].to_string().trim_matches('"'),
            want[pr]
        );
        let detail: Value = serde_json::from_str(&want[pd]).unwrap();
        assert!(a["prediction_detail"].is_object(), "{a}");
        assert_eq!(a["prediction_detail"], detail, "{a}");
    }
}
