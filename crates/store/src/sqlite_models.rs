//! [`ModelCatalog`] on SQLite: model versions are assigned and recorded
//! inside one `IMMEDIATE` transaction, so concurrent writers serialize.

use rusqlite::{OptionalExtension, params};

use crate::model_catalog::{IfExists, ModelCatalog, ModelVersion, NewModelVersion};
use crate::sqlite_usage::meter_in_tx;
use crate::{Meter, SqliteCatalog, StoreError};

const COLS: &str =
    "project, name, version, class, formats, created_at, lineage, metrics, copied_from";

fn json<T: serde::de::DeserializeOwned>(i: usize, text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        project: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        class: r.get(3)?,
        formats: json(4, r.get(4)?)?,
        created_at: r.get(5)?,
        lineage: json(6, r.get(6)?)?,
        metrics: json(7, r.get(7)?)?,
        copied_from: r.get(8)?,
    })
}

impl ModelCatalog for SqliteCatalog {
    fn commit_model_version(
        &self,
        new: &NewModelVersion,
        if_exists: IfExists,
        meter: Option<&Meter<'_>>,
        place: &mut dyn FnMut(u32) -> Result<(), StoreError>,
    ) -> Result<ModelVersion, StoreError> {
        let mut placed: Option<Result<(), StoreError>> = None;
        let mut refused: Option<StoreError> = None;
        let created_at = pai_core::now_rfc3339();
        let row = self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let latest: Option<u32> = tx
                .query_row(
                    "SELECT MAX(version) FROM model_versions WHERE project = ?1 AND name = ?2",
                    params![new.project, new.name],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if latest.is_some() && if_exists == IfExists::Refuse {
                return Ok(Err(latest));
            }
            let version = latest.unwrap_or(0) + 1;
            if let Err(e) = meter_in_tx(&tx, meter)? {
                refused = Some(e);
                return Ok(Err(None));
            }
            let result = place(version);
            let ok = result.is_ok();
            placed = Some(result);
            if !ok {
                return Ok(Err(None));
            }
            pai_core::failpoint("model:placed");
            tx.execute(
                &format!("INSERT INTO model_versions ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    new.project,
                    new.name,
                    version,
                    new.class,
                    serde_json::to_string(&new.formats).unwrap_or_else(|_| "[]".into()),
                    created_at,
                    new.lineage.to_string(),
                    new.metrics.to_string(),
                    new.copied_from
                ],
            )?;
            tx.commit()?;
            Ok(Ok(version))
        })?;
        match row {
            Ok(version) => Ok(ModelVersion {
                project: new.project.clone(),
                name: new.name.clone(),
                version,
                class: new.class.clone(),
                formats: new.formats.clone(),
                created_at,
                lineage: new.lineage.clone(),
                metrics: new.metrics.clone(),
                copied_from: new.copied_from.clone(),
            }),
            Err(Some(latest)) => Err(StoreError::Model(format!(
                "OfflineModel `{}/{}` already exists (latest version {latest}); set `overwrite: true` (or pass `--overwrite`) to add the copy as its new latest version",
                new.project, new.name
            ))),
            Err(None) => Err(match (refused, placed) {
                (Some(e), _) | (None, Some(Err(e))) => e,
                _ => StoreError::Model("placing the model files failed".into()),
            }),
        }
    }

    fn model_versions(&self, project: &str, name: &str) -> Result<Vec<ModelVersion>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLS} FROM model_versions WHERE project = ?1 AND name = ?2 ORDER BY version"
            ))?;
            stmt.query_map(params![project, name], version_from_row)?
                .collect()
        })
    }

    fn latest_models(&self, project: Option<&str>) -> Result<Vec<ModelVersion>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLS} FROM model_versions m
                 WHERE (?1 IS NULL OR project = ?1)
                   AND version = (SELECT MAX(version) FROM model_versions n
                                  WHERE n.project = m.project AND n.name = m.name)
                 ORDER BY project, name"
            ))?;
            stmt.query_map(params![project], version_from_row)?
                .collect()
        })
    }

    fn begin_export(&self, objects: &[String]) -> Result<i64, StoreError> {
        let objects = serde_json::to_string(objects).unwrap_or_else(|_| "[]".into());
        self.with(|conn| {
            conn.execute(
                "INSERT INTO export_journal (objects, pid, started_at) VALUES (?1, ?2, ?3)",
                params![objects, std::process::id(), pai_core::now_rfc3339()],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    fn end_export(&self, id: i64, meter: Option<&Meter<'_>>) -> Result<(), StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if let Err(e) = meter_in_tx(&tx, meter)? {
                return Ok(Err(e));
            }
            tx.execute("DELETE FROM export_journal WHERE id = ?1", [id])?;
            tx.commit()?;
            Ok(Ok(()))
        })?
    }

    fn pending_exports(&self) -> Result<Vec<(i64, Vec<String>, u32)>, StoreError> {
        let rows = self.with(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, objects, pid FROM export_journal ORDER BY id")?;
            stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })?;
        rows.into_iter()
            .map(|(id, objects, pid)| {
                let objects = serde_json::from_str(&objects).map_err(|e| StoreError::Corrupt {
                    field: "export_journal.objects",
                    message: e.to_string(),
                })?;
                Ok((id, objects, pid))
            })
            .collect()
    }
}
