//! The SQLite catalog: WAL mode, migrations by `user_version`, and every
//! multi-row change in one transaction.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pai_core::{Artifact, LogLine, NodeState, RunState};
use rusqlite::{Connection, params};

use crate::{Catalog, NodeRecord, RunRecord, StoreError};

/// Schema migrations, applied in order; `user_version` counts those done.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_runs.sql"),
    include_str!("migrations/0002_models.sql"),
    include_str!("migrations/0003_usage.sql"),
    include_str!("migrations/0004_services.sql"),
    include_str!("migrations/0005_schedules.sql"),
    include_str!("migrations/0006_run_owner.sql"),
];

/// A catalog in one SQLite file.
pub struct SqliteCatalog {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCatalog")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteCatalog {
    /// Opens the database, creating it and applying migrations as needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let version: usize = tx
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map_err(err)? as usize;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(SqliteCatalog {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }
}

pub(crate) const RUN_COLS: &str = "id, kind, pipeline, project, manifest_path, manifest_sha256, git_commit, git_dirty, state, started_at, ended_at, error, resumed_from, owner_host, owner_pid, owner_started";
const NODE_COLS: &str = "run_id, node_id, component, state, attempts, started_at, ended_at, duration_ms, error, outputs, metrics, reused_from";

pub(crate) fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let state: String = r.get(8)?;
    let owner = match (
        r.get::<_, Option<String>>(13)?,
        r.get::<_, Option<i64>>(14)?,
    ) {
        (Some(host), Some(pid)) => Some(crate::RunOwner {
            host,
            pid: u32::try_from(pid).unwrap_or(0),
            started: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(RunRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        pipeline: r.get(2)?,
        project: r.get(3)?,
        manifest_path: r.get(4)?,
        manifest_sha256: r.get(5)?,
        git_commit: r.get(6)?,
        git_dirty: r.get::<_, i64>(7)? != 0,
        state: RunState::parse(&state).unwrap_or(RunState::Failed),
        started_at: r.get(9)?,
        ended_at: r.get(10)?,
        error: r.get(11)?,
        resumed_from: r.get(12)?,
        owner,
    })
}

fn node_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NodeRecord> {
    let state: String = r.get(3)?;
    let outputs: String = r.get(9)?;
    let metrics: Option<String> = r.get(10)?;
    let bad = |e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(NodeRecord {
        run_id: r.get(0)?,
        node_id: r.get(1)?,
        component: r.get(2)?,
        state: NodeState::parse(&state).unwrap_or(NodeState::Failed),
        attempts: r.get(4)?,
        started_at: r.get(5)?,
        ended_at: r.get(6)?,
        duration_ms: r.get::<_, Option<i64>>(7)?.map(|v| v.max(0) as u64),
        error: r.get(8)?,
        outputs: serde_json::from_str::<Vec<Artifact>>(&outputs).map_err(bad)?,
        metrics: metrics
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(bad)?,
        reused_from: r.get(11)?,
        usage: Vec::new(),
    })
}

fn upsert_node(
    tx: &rusqlite::Transaction<'_>,
    seq: Option<usize>,
    n: &NodeRecord,
) -> rusqlite::Result<()> {
    let outputs = serde_json::to_string(&n.outputs).unwrap_or_else(|_| "[]".into());
    let metrics = n.metrics.as_ref().map(|m| m.to_string());
    let mut stmt = tx.prepare_cached(
        "INSERT INTO node_runs (run_id, seq, node_id, component, state, attempts, started_at, ended_at, duration_ms, error, outputs, metrics, reused_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(run_id, node_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
           started_at = excluded.started_at, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
           error = excluded.error, outputs = excluded.outputs, metrics = excluded.metrics, reused_from = excluded.reused_from",
    )?;
    stmt.execute(params![
        n.run_id,
        seq.unwrap_or(0) as i64,
        n.node_id,
        n.component,
        n.state.as_str(),
        n.attempts,
        n.started_at,
        n.ended_at,
        n.duration_ms.map(|d| d as i64),
        n.error,
        outputs,
        metrics,
        n.reused_from
    ])?;
    Ok(())
}

impl Catalog for SqliteCatalog {
    fn create_run(&self, run: &RunRecord, nodes: &[NodeRecord]) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                &format!("INSERT INTO runs ({RUN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
                params![
                    run.id,
                    run.kind,
                    run.pipeline,
                    run.project,
                    run.manifest_path,
                    run.manifest_sha256,
                    run.git_commit,
                    i64::from(run.git_dirty),
                    run.state.as_str(),
                    run.started_at,
                    run.ended_at,
                    run.error,
                    run.resumed_from,
                    run.owner.as_ref().map(|o| o.host.as_str()),
                    run.owner.as_ref().map(|o| i64::from(o.pid)),
                    run.owner.as_ref().map(|o| o.started.as_str())
                ],
            )?;
            for (i, n) in nodes.iter().enumerate() {
                upsert_node(&tx, Some(i), n)?;
            }
            tx.commit()
        })
    }

    fn write_nodes(
        &self,
        nodes: &[NodeRecord],
        logs: &[(String, String, LogLine)],
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            for n in nodes {
                let mut stmt = tx.prepare_cached(
                    "UPDATE node_runs SET state = ?3, attempts = ?4, started_at = ?5, ended_at = ?6, duration_ms = ?7,
                       error = ?8, outputs = ?9, metrics = ?10, reused_from = ?11 WHERE run_id = ?1 AND node_id = ?2",
                )?;
                stmt.execute(params![
                    n.run_id,
                    n.node_id,
                    n.state.as_str(),
                    n.attempts,
                    n.started_at,
                    n.ended_at,
                    n.duration_ms.map(|d| d as i64),
                    n.error,
                    serde_json::to_string(&n.outputs).unwrap_or_else(|_| "[]".into()),
                    n.metrics.as_ref().map(|m| m.to_string()),
                    n.reused_from
                ])?;
                for (entry, at) in &n.usage {
                    crate::sqlite_usage::record_in_tx(&tx, entry, *at)?;
                }
            }
            for (run, node, line) in logs {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO node_logs (run_id, node_id, ts, level, message) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                stmt.execute(params![run, node, line.ts, line.level, line.message])?;
            }
            tx.commit()
        })
    }

    fn finish_run(
        &self,
        run_id: &str,
        state: RunState,
        ended_at: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE runs SET state = ?2, ended_at = ?3, error = ?4 WHERE id = ?1",
                params![run_id, state.as_str(), ended_at, error],
            )
            .map(|_| ())
        })
    }

    fn list_runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {RUN_COLS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1"
            ))?;
            stmt.query_map([limit as i64], run_from_row)?.collect()
        })
    }

    fn get_run(&self, id: &str) -> Result<RunRecord, StoreError> {
        self.with(|conn| crate::sqlite_runs::resolve(conn, id))?
    }

    fn reap_abandoned(&self) -> Result<Vec<String>, StoreError> {
        self.with(crate::sqlite_runs::reap)
    }

    fn abandon_run(&self, run_id: &str, reason: &str) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            crate::sqlite_runs::abandon(&tx, run_id, reason)?;
            tx.commit()
        })
    }

    fn node_runs(&self, run_id: &str) -> Result<Vec<NodeRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {NODE_COLS} FROM node_runs WHERE run_id = ?1 ORDER BY seq"
            ))?;
            stmt.query_map([run_id], node_from_row)?.collect()
        })
    }

    fn logs(&self, run_id: &str, node: Option<&str>) -> Result<Vec<(String, LogLine)>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT node_id, ts, level, message FROM node_logs WHERE run_id = ?1 AND (?2 IS NULL OR node_id = ?2) ORDER BY id",
            )?;
            stmt.query_map(params![run_id, node], |r| {
                Ok((
                    r.get(0)?,
                    LogLine {
                        ts: r.get(1)?,
                        level: r.get(2)?,
                        message: r.get(3)?,
                    },
                ))
            })?
            .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, started: &str) -> RunRecord {
        RunRecord {
            id: id.into(),
            kind: "pipeline".into(),
            pipeline: "p".into(),
            project: "default".into(),
            manifest_path: "p.yaml".into(),
            manifest_sha256: "00".into(),
            git_commit: None,
            git_dirty: false,
            state: RunState::Running,
            started_at: started.into(),
            ended_at: None,
            error: None,
            resumed_from: None,
            owner: None,
        }
    }

    #[test]
    fn round_trips_runs_nodes_and_logs() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let nodes = vec![
            NodeRecord::pending("r1", "b", "split"),
            NodeRecord::pending("r1", "a", "read_table"),
        ];
        cat.create_run(&run("r1", "2026-01-01T00:00:00Z"), &nodes)
            .unwrap();
        cat.create_run(&run("r2", "2026-01-02T00:00:00Z"), &[])
            .unwrap();
        let mut a = nodes[1].clone();
        a.state = NodeState::Succeeded;
        a.metrics = Some(serde_json::json!({"rows": 3}));
        let line = LogLine {
            ts: "t".into(),
            level: "info".into(),
            message: "hello".into(),
        };
        cat.write_nodes(&[a.clone()], &[("r1".into(), "a".into(), line.clone())])
            .unwrap();
        cat.finish_run("r1", RunState::Succeeded, "2026-01-01T00:01:00Z", None)
            .unwrap();

        let listed = cat.list_runs(10).unwrap();
        assert_eq!(
            listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["r2", "r1"]
        );
        assert_eq!(cat.get_run("r1").unwrap().state, RunState::Succeeded);
        let got = cat.node_runs("r1").unwrap();
        assert_eq!(
            got.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(got[1], a);
        assert_eq!(
            cat.logs("r1", Some("a")).unwrap(),
            vec![("a".to_string(), line)]
        );
        assert!(cat.logs("r1", Some("b")).unwrap().is_empty());
    }

    #[test]
    fn run_prefixes_resolve_or_explain() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        cat.create_run(&run("abc1", "1"), &[]).unwrap();
        cat.create_run(&run("abc2", "2"), &[]).unwrap();
        assert_eq!(cat.get_run("abc1").unwrap().id, "abc1");
        assert!(matches!(
            cat.get_run("abc"),
            Err(StoreError::AmbiguousRun { .. })
        ));
        assert!(matches!(cat.get_run("zzz"), Err(StoreError::UnknownRun(_))));
        // reopening applies no migration twice
        drop(cat);
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        assert_eq!(cat.list_runs(5).unwrap().len(), 2);
    }

    #[test]
    fn latest_and_pipeline_latest_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        assert!(matches!(
            cat.get_run("latest"),
            Err(StoreError::UnknownRun(_))
        ));
        cat.create_run(&run("r1", "2026-01-01T00:00:00Z"), &[])
            .unwrap();
        let mut other = run("r2", "2026-01-02T00:00:00Z");
        other.pipeline = "q".into();
        cat.create_run(&other, &[]).unwrap();
        assert_eq!(cat.get_run("latest").unwrap().id, "r2");
        assert_eq!(cat.get_run("p@latest").unwrap().id, "r1");
        let none = cat.get_run("z@latest").unwrap_err();
        assert!(matches!(none, StoreError::NoPipelineRun { .. }), "{none}");
        let err = cat.get_run("r").unwrap_err().to_string();
        assert!(err.contains("matches 2 runs"), "{err}");
        // `%` and `_` are not wildcards
        assert!(matches!(cat.get_run("%"), Err(StoreError::UnknownRun(_))));
    }

    #[test]
    fn runs_of_gone_processes_are_abandoned_with_their_unfinished_nodes() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let me = crate::RunOwner::current();
        let mut gone = run("gone", "1");
        gone.owner = Some(crate::RunOwner { pid, ..me.clone() });
        let mut done = NodeRecord::pending("gone", "a", "delay");
        done.state = NodeState::Succeeded;
        let mut busy = NodeRecord::pending("gone", "b", "delay");
        busy.state = NodeState::Running;
        let waiting = NodeRecord::pending("gone", "c", "delay");
        cat.create_run(&gone, &[done, busy, waiting]).unwrap();
        let mut alive = run("alive", "2");
        alive.owner = Some(me);
        cat.create_run(&alive, &[]).unwrap();
        cat.create_run(&run("legacy", "3"), &[]).unwrap();
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        assert_eq!(cat.reap_abandoned().unwrap(), ["gone"]);
        let r = cat.get_run("gone").unwrap();
        assert_eq!(r.state, RunState::Abandoned);
        assert!(r.ended_at.is_some());
        assert!(r.error.unwrap().contains(&format!("pid {pid}")));
        let states: Vec<NodeState> = cat
            .node_runs("gone")
            .unwrap()
            .iter()
            .map(|n| n.state)
            .collect();
        assert_eq!(
            states,
            [
                NodeState::Succeeded,
                NodeState::Abandoned,
                NodeState::Abandoned
            ]
        );
        assert_eq!(cat.get_run("alive").unwrap().state, RunState::Running);
        assert_eq!(cat.get_run("legacy").unwrap().state, RunState::Running);
        assert!(cat.reap_abandoned().unwrap().is_empty());
        cat.abandon_run("alive", "aborted").unwrap();
        assert_eq!(cat.get_run("alive").unwrap().state, RunState::Abandoned);
    }
}
