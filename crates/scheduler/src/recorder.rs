//! Records node snapshots and logs in the catalog from a dedicated thread,
//! batching everything queued into one transaction, so that the catalog
//! never slows the scheduler down.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use pai_core::LogLine;
use pai_store::{Catalog, NodeRecord, StoreError};

/// Queues log lines `(run, node, line)` for the catalog.
pub type LogSink = Arc<dyn Fn(Vec<(String, String, LogLine)>) + Send + Sync>;

enum Msg {
    Node(Box<NodeRecord>),
    Logs(Vec<(String, String, LogLine)>),
}

/// The writer thread's handle.
pub struct Recorder {
    tx: Option<Sender<Msg>>,
    handle: Option<JoinHandle<Result<(), StoreError>>>,
}

impl Recorder {
    /// Starts the writer thread.
    pub fn start(catalog: Arc<dyn Catalog>) -> Self {
        let (tx, rx) = channel();
        let handle = std::thread::Builder::new()
            .name("pai-recorder".into())
            .spawn(move || write_loop(&*catalog, &rx))
            .ok();
        Recorder {
            tx: Some(tx),
            handle,
        }
    }

    /// Queues a node snapshot.
    pub fn node(&self, record: NodeRecord) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Node(Box::new(record)));
        }
    }

    /// A cloneable handle that queues log lines from node tasks.
    pub fn log_sink(&self) -> LogSink {
        let tx = self.tx.clone();
        Arc::new(move |lines: Vec<(String, String, LogLine)>| {
            if let (Some(tx), false) = (&tx, lines.is_empty()) {
                let _ = tx.send(Msg::Logs(lines));
            }
        })
    }

    /// Writes everything queued and stops the thread.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.tx.take();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            _ => Ok(()),
        }
    }
}

fn write_loop(catalog: &dyn Catalog, rx: &Receiver<Msg>) -> Result<(), StoreError> {
    let mut first_error = None;
    while let Ok(msg) = rx.recv() {
        let mut nodes: Vec<NodeRecord> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut logs = Vec::new();
        let mut take = |m: Msg| match m {
            // keep only the latest snapshot of each node in the batch
            Msg::Node(n) => match index.get(&n.node_id) {
                Some(&i) => nodes[i] = *n,
                None => {
                    index.insert(n.node_id.clone(), nodes.len());
                    nodes.push(*n);
                }
            },
            Msg::Logs(l) => logs.extend(l),
        };
        take(msg);
        while let Ok(m) = rx.try_recv() {
            take(m);
        }
        if let Err(e) = catalog.write_nodes(&nodes, &logs) {
            tracing::error!(error = %e, "recording node states failed");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
