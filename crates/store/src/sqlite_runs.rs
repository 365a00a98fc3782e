//! Run lookups and abandonment in the SQLite catalog: resolving `latest`,
//! `PIPELINE@latest` and id prefixes, and marking runs whose process is
//! gone `abandoned`.

use pai_core::now_rfc3339;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::sqlite::{RUN_COLS, run_from_row};
use crate::{RunRecord, StoreError};

/// The error for `PIPELINE@latest` without a run: it lists the pipelines
/// that have runs (a few), since a file name is often taken for the
/// pipeline's name.
fn no_pipeline_run(conn: &Connection, pipeline: &str) -> rusqlite::Result<StoreError> {
    let mut stmt = conn.prepare("SELECT DISTINCT pipeline FROM runs ORDER BY pipeline LIMIT ?1")?;
    let names = stmt
        .query_map([LISTED as i64 + 1], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let known = if names.is_empty() {
        "there are no runs yet".to_string()
    } else {
        let mut listed: Vec<String> = names
            .iter()
            .take(LISTED)
            .map(|n| format!("`{n}`"))
            .collect();
        if names.len() > LISTED {
            listed.push("…".into());
        }
        format!("pipelines with runs: {}", listed.join(", "))
    };
    Ok(StoreError::NoPipelineRun {
        pipeline: pipeline.to_string(),
        known,
    })
}

/// How many matching ids an ambiguous prefix error lists.
const LISTED: usize = 5;

/// The run `spec` names: an id, `latest`, `PIPELINE@latest` or a unique
/// id prefix. The outer error is the database's, the inner one the
/// user's.
pub(crate) fn resolve(
    conn: &mut Connection,
    spec: &str,
) -> rusqlite::Result<Result<RunRecord, StoreError>> {
    let unknown = || Ok(Err(StoreError::UnknownRun(spec.to_string())));
    let newest = format!("SELECT {RUN_COLS} FROM runs");
    let order = "ORDER BY started_at DESC, id DESC LIMIT 1";
    if spec == "latest" {
        let run = conn
            .query_row(&format!("{newest} {order}"), [], run_from_row)
            .optional()?;
        return run.map_or_else(unknown, |r| Ok(Ok(r)));
    }
    if let Some(pipeline) = spec.strip_suffix("@latest") {
        let run = conn
            .query_row(
                &format!("{newest} WHERE pipeline = ?1 {order}"),
                [pipeline],
                run_from_row,
            )
            .optional()?;
        return match run {
            Some(r) => Ok(Ok(r)),
            None => Ok(Err(no_pipeline_run(conn, pipeline)?)),
        };
    }
    let exact = conn
        .query_row(&format!("{newest} WHERE id = ?1"), [spec], run_from_row)
        .optional()?;
    if let Some(run) = exact {
        return Ok(Ok(run));
    }
    if spec.is_empty() {
        return unknown();
    }
    // a prefix: compare with substr, so that `%` and `_` are plain characters
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM runs WHERE substr(id, 1, length(?1)) = ?1",
        [spec],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "{newest} WHERE substr(id, 1, length(?1)) = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2"
    ))?;
    let mut matches = stmt
        .query_map(params![spec, LISTED as i64], run_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match count {
        0 => Err(StoreError::UnknownRun(spec.to_string())),
        1 => matches
            .pop()
            .ok_or_else(|| StoreError::UnknownRun(spec.to_string())),
        n => {
            let mut listed = matches
                .iter()
                .map(|r| format!("`{}`", r.id))
                .collect::<Vec<_>>()
                .join(", ");
            if n as usize > matches.len() {
                listed.push_str(", …");
            }
            Err(StoreError::AmbiguousRun {
                prefix: spec.to_string(),
                count: n as usize,
                matches: listed,
            })
        }
    })
}

/// Marks the `running` runs whose owner is gone `abandoned`; their ids.
/// The candidates are read first, without a lock, so that the common case
/// (nothing abandoned) writes nothing; each is then marked in one
/// transaction, only if it is still `running`.
pub(crate) fn reap(conn: &mut Connection) -> rusqlite::Result<Vec<String>> {
    let gone: Vec<(String, String)> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLS} FROM runs WHERE state = 'running' AND owner_pid IS NOT NULL"
        ))?;
        stmt.query_map([], run_from_row)?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(|run| {
                let owner = run.owner.filter(|o| o.is_gone())?;
                Some((
                    run.id,
                    format!("abandoned: the process that ran it ({owner}) is gone"),
                ))
            })
            .collect()
    };
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut reaped = Vec::new();
    for (id, reason) in gone {
        if abandon(&tx, &id, &reason)? {
            reaped.push(id);
        }
    }
    tx.commit()?;
    Ok(reaped)
}

/// Marks run `run_id` and its unfinished nodes `abandoned`, inside `tx`;
/// a run that already ended is left as it is. Whether it was marked.
pub(crate) fn abandon(tx: &Transaction<'_>, run_id: &str, reason: &str) -> rusqlite::Result<bool> {
    let now = now_rfc3339();
    let changed = tx.execute(
        "UPDATE runs SET state = 'abandoned', ended_at = ?2, error = ?3 WHERE id = ?1 AND state = 'running'",
        params![run_id, now, reason],
    )?;
    if changed > 0 {
        tx.execute(
            "UPDATE node_runs SET state = 'abandoned', ended_at = COALESCE(ended_at, ?2) WHERE run_id = ?1 AND state IN ('pending', 'running')",
            params![run_id, now],
        )?;
    }
    Ok(changed > 0)
}
