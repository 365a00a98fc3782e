//! A small Language Server Protocol client for the tests: it starts
//! yaml-language-server over stdio, speaks Content-Length framed JSON-RPC,
//! answers the server's own requests (`workspace/configuration` and the
//! like), keeps the latest diagnostics of each document, and never waits
//! without a deadline. The server is killed when the client is dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long one answer may take (the first one loads the schema).
const WAIT: Duration = Duration::from_secs(30);

/// The installed server's entry point, under `tests/lsp`.
pub fn server_script(repo: &Path) -> PathBuf {
    repo.join("tests/lsp/node_modules/yaml-language-server/bin/yaml-language-server")
}

/// The settings the client answers `workspace/configuration` with.
fn settings() -> Value {
    json!({
        "yaml": {
            "validate": true,
            "completion": true,
            "hover": true,
            "format": { "enable": false },
            "schemaStore": { "enable": false },
            "maxItemsComputed": 5000
        },
        "http": { "proxyStrictSSL": false },
        "[yaml]": {},
        "editor": { "tabSize": 2, "insertSpaces": true }
    })
}

/// A running yaml-language-server.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The latest diagnostics published for each document URI.
    diagnostics: HashMap<String, Vec<Value>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Client {
    /// Starts the server with `node` and initializes it for the workspace
    /// `root`, with validation, completion and hover enabled.
    pub fn start(node: &Path, root: &Path) -> Client {
        let mut child = Command::new(node)
            .arg(server_script(root))
            .arg("--stdio")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("yaml-language-server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 1,
            diagnostics: HashMap::new(),
            stderr,
        };
        let uri = file_uri(root);
        client.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": uri,
                "workspaceFolders": [{ "uri": uri, "name": "pai-engine" }],
                "capabilities": {
                    "workspace": {
                        "configuration": true,
                        "didChangeConfiguration": { "dynamicRegistration": true },
                        "workspaceFolders": true
                    },
                    "textDocument": {
                        "completion": { "completionItem": {
                            "snippetSupport": true,
                            "documentationFormat": ["markdown", "plaintext"]
                        } },
                        "hover": { "contentFormat": ["markdown", "plaintext"] },
                        "publishDiagnostics": { "relatedInformation": false }
                    }
                }
            }),
        );
        client.notify("initialized", json!({}));
        client.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": settings() }),
        );
        client
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its result, handling whatever else
    /// arrives meanwhile.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + WAIT;
        loop {
            let msg = self.next_message(deadline, method);
            if msg.get("method").is_none() && msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
        }
    }

    /// Receives one message before `deadline` and handles it if it is the
    /// server's request or a notification.
    fn next_message(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match self.messages.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no answer to `{waiting_for}` from yaml-language-server within {WAIT:?}; stderr:\n{}",
                self.stderr.lock().unwrap()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "yaml-language-server exited while waiting for `{waiting_for}`; stderr:\n{}",
                self.stderr.lock().unwrap()
            ),
        };
        match (msg.get("id"), msg.get("method").and_then(Value::as_str)) {
            (Some(id), Some(method)) => {
                let result = match method {
                    "workspace/configuration" => {
                        let all = settings();
                        let items = msg["params"]["items"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        Value::Array(
                            items
                                .iter()
                                .map(|i| {
                                    i["section"]
                                        .as_str()
                                        .and_then(|s| all.get(s).cloned())
                                        .unwrap_or(json!({}))
                                })
                                .collect(),
                        )
                    }
                    _ => Value::Null,
                };
                let id = id.clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
            }
            (None, Some("textDocument/publishDiagnostics")) => {
                let uri = msg["params"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let list = msg["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.diagnostics.insert(uri, list);
            }
            _ => {}
        }
        msg
    }

    /// Opens a document (its URI need not exist on disk) and returns the
    /// first diagnostics the server publishes for it.
    pub fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.diagnostics.remove(uri);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
        );
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(d) = self.diagnostics.get(uri) {
                return d.clone();
            }
            self.next_message(deadline, "textDocument/publishDiagnostics");
        }
    }

    /// The completion items at `line`:`character` (0-based).
    pub fn completion(&mut self, uri: &str, line: usize, character: usize) -> Vec<Value> {
        let result = self.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        );
        match result {
            Value::Array(items) => items,
            other => other["items"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// The hover text at `line`:`character` (0-based), empty when none.
    pub fn hover(&mut self, uri: &str, line: usize, character: usize) -> String {
        let result = self.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        );
        text_of(&result["contents"])
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of a hover's contents or an item's documentation: a string,
/// a `MarkupContent`, or a list of them.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join("\n"),
        Value::Object(o) => o.get("value").map(text_of).unwrap_or_default(),
        _ => String::new(),
    }
}

/// `file://` URI of an absolute path.
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Reads one Content-Length framed message; `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
