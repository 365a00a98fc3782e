//! [`ServiceCatalog`] on SQLite: every change runs in one `IMMEDIATE`
//! transaction, so concurrent writers serialize and a version number is
//! never handed out twice; a metered update writes its ledger entry in the
//! same transaction as the version it commits.

use rusqlite::{Connection, OptionalExtension, params};

use crate::services::{
    DesiredState, ServiceCatalog, ServiceRecord, ServiceState, ServiceVersionRecord,
};
use crate::sqlite_usage::meter_in_tx;
use crate::{Meter, SqliteCatalog, StoreError};

const COLS: &str = "s.name, s.token, s.desired, s.current_version, s.state, s.reason, s.generation, s.created_at, s.updated_at,
    (SELECT MAX(version) FROM service_versions v WHERE v.service = s.name)";

fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ServiceRecord> {
    let desired: String = r.get(2)?;
    let state: String = r.get(4)?;
    Ok(ServiceRecord {
        name: r.get(0)?,
        token: r.get(1)?,
        desired: if desired == "stopped" {
            DesiredState::Stopped
        } else {
            DesiredState::Running
        },
        current_version: r.get(3)?,
        state: ServiceState::parse(&state).unwrap_or(ServiceState::Failed),
        reason: r.get(5)?,
        generation: r.get::<_, i64>(6)?.max(0) as u64,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        latest_version: r.get::<_, Option<u32>>(9)?.unwrap_or(0),
    })
}

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ServiceVersionRecord> {
    let spec: String = r.get(2)?;
    Ok(ServiceVersionRecord {
        service: r.get(0)?,
        version: r.get(1)?,
        spec: serde_json::from_str(&spec).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?,
        source: r.get(3)?,
        created_at: r.get(4)?,
    })
}

fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<ServiceRecord>> {
    conn.query_row(
        &format!("SELECT {COLS} FROM services s WHERE s.name = ?1"),
        [name],
        record_from_row,
    )
    .optional()
}

/// Runs `f` in an `IMMEDIATE` transaction, committing when it returns.
fn immediate<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

impl ServiceCatalog for SqliteCatalog {
    fn create_service(
        &self,
        name: &str,
        token: &str,
        spec: &serde_json::Value,
    ) -> Result<Option<ServiceRecord>, StoreError> {
        let now = pai_core::now_rfc3339();
        self.with(|conn| {
            immediate(conn, |tx| {
                let inserted = tx.execute(
                    "INSERT INTO services (name, token, desired, current_version, state, reason, generation, created_at, updated_at)
                     VALUES (?1, ?2, 'running', 1, 'Creating', NULL, 1, ?3, ?3) ON CONFLICT(name) DO NOTHING",
                    params![name, token, now],
                )?;
                if inserted == 0 {
                    return Ok(None);
                }
                tx.execute(
                    "INSERT INTO service_versions (service, version, spec, source, created_at) VALUES (?1, 1, ?2, 'create', ?3)",
                    params![name, spec.to_string(), now],
                )?;
                get(tx, name)
            })
        })
    }

    fn get_service(&self, name: &str) -> Result<Option<ServiceRecord>, StoreError> {
        self.with(|conn| get(conn, name))
    }

    fn list_services(&self) -> Result<Vec<ServiceRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare(&format!("SELECT {COLS} FROM services s ORDER BY s.name"))?;
            stmt.query_map([], record_from_row)?.collect()
        })
    }

    fn set_desired(
        &self,
        name: &str,
        desired: DesiredState,
        state: ServiceState,
    ) -> Result<Option<ServiceRecord>, StoreError> {
        let now = pai_core::now_rfc3339();
        self.with(|conn| {
            immediate(conn, |tx| {
                tx.execute(
                    "UPDATE services SET desired = ?2, state = ?3, reason = NULL, generation = generation + 1, updated_at = ?4 WHERE name = ?1",
                    params![name, desired.as_str(), state.as_str(), now],
                )?;
                get(tx, name)
            })
        })
    }

    fn set_state(
        &self,
        name: &str,
        state: ServiceState,
        reason: Option<&str>,
    ) -> Result<Option<ServiceRecord>, StoreError> {
        let now = pai_core::now_rfc3339();
        self.with(|conn| {
            immediate(conn, |tx| {
                tx.execute(
                    "UPDATE services SET state = ?2, reason = ?3, updated_at = ?4 WHERE name = ?1",
                    params![name, state.as_str(), reason, now],
                )?;
                get(tx, name)
            })
        })
    }

    fn commit_version(
        &self,
        name: &str,
        spec: &serde_json::Value,
        meter: Option<&Meter<'_>>,
    ) -> Result<Option<ServiceRecord>, StoreError> {
        let now = pai_core::now_rfc3339();
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let Some(current) = get(&tx, name)? else {
                return Ok(Ok(None));
            };
            if let Err(refused) = meter_in_tx(&tx, meter)? {
                return Ok(Err(refused));
            }
            let version = current.latest_version + 1;
            tx.execute(
                "INSERT INTO service_versions (service, version, spec, source, created_at) VALUES (?1, ?2, ?3, 'update', ?4)",
                params![name, version, spec.to_string(), now],
            )?;
            tx.execute(
                "UPDATE services SET current_version = ?2, state = 'Running', reason = NULL, updated_at = ?3 WHERE name = ?1",
                params![name, version, now],
            )?;
            let record = get(&tx, name)?;
            tx.commit()?;
            Ok(Ok(record))
        })?
    }

    fn set_current_version(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<ServiceRecord>, StoreError> {
        let now = pai_core::now_rfc3339();
        self.with(|conn| {
            immediate(conn, |tx| {
                if get(tx, name)?.is_none() {
                    return Ok(Ok(None));
                }
                let exists: bool = tx
                    .query_row(
                        "SELECT 1 FROM service_versions WHERE service = ?1 AND version = ?2",
                        params![name, version],
                        |_| Ok(true),
                    )
                    .optional()?
                    .unwrap_or(false);
                if !exists {
                    return Ok(Err(StoreError::Invalid(format!(
                        "service `{name}` has no version {version}"
                    ))));
                }
                tx.execute(
                    "UPDATE services SET current_version = ?2, state = 'Running', reason = NULL, updated_at = ?3 WHERE name = ?1",
                    params![name, version, now],
                )?;
                get(tx, name).map(Ok)
            })
        })?
    }

    fn service_versions(&self, name: &str) -> Result<Vec<ServiceVersionRecord>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT service, version, spec, source, created_at FROM service_versions WHERE service = ?1 ORDER BY version",
            )?;
            stmt.query_map([name], version_from_row)?.collect()
        })
    }

    fn service_version(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<ServiceVersionRecord>, StoreError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT service, version, spec, source, created_at FROM service_versions WHERE service = ?1 AND version = ?2",
                params![name, version],
                version_from_row,
            )
            .optional()
        })
    }

    fn delete_service(&self, name: &str) -> Result<bool, StoreError> {
        self.with(|conn| {
            immediate(conn, |tx| {
                tx.execute("DELETE FROM service_versions WHERE service = ?1", [name])?;
                Ok(tx.execute("DELETE FROM services WHERE name = ?1", [name])? > 0)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pai_core::{UsageClass, UsageContext, UsageEntry};

    #[test]
    fn versions_rollback_states_and_metering() {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let spec = serde_json::json!({"name": "s", "model_path": "a.pmml"});
        let s = cat.create_service("s", "tok", &spec).unwrap().unwrap();
        assert_eq!((s.current_version, s.latest_version), (1, 1));
        assert_eq!(s.state, ServiceState::Creating);
        assert!(cat.create_service("s", "x", &spec).unwrap().is_none());

        let s = cat
            .set_state("s", ServiceState::Failed, Some("bad model"))
            .unwrap()
            .unwrap();
        assert_eq!(s.reason.as_deref(), Some("bad model"));
        let s = cat
            .set_desired("s", DesiredState::Stopped, ServiceState::Stopped)
            .unwrap()
            .unwrap();
        assert_eq!((s.generation, s.reason.clone()), (2, None));

        let billing = crate::Billing::from_config(&crate::Config::default()).unwrap();
        let entry = UsageEntry {
            class: UsageClass::ServiceUpdate,
            operation: "services update".into(),
            context: UsageContext::cli("default"),
            succeeded: true,
        };
        let meter = Meter {
            entry: &entry,
            billing: &billing,
        };
        let spec2 = serde_json::json!({"name": "s", "model_path": "b.pmml"});
        let s = cat
            .commit_version("s", &spec2, Some(&meter))
            .unwrap()
            .unwrap();
        assert_eq!((s.current_version, s.latest_version), (2, 2));
        assert_eq!(s.state, ServiceState::Running);
        let n: i64 = cat
            .with(|c| c.query_row("SELECT COUNT(*) FROM usage_ledger", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 1);

        let s = cat.set_current_version("s", 1).unwrap().unwrap();
        assert_eq!((s.current_version, s.latest_version), (1, 2));
        assert!(matches!(
            cat.set_current_version("s", 9),
            Err(StoreError::Invalid(_))
        ));
        assert!(cat.set_current_version("nope", 1).unwrap().is_none());
        let vs = cat.service_versions("s").unwrap();
        assert_eq!(vs.len(), 2);
        assert_eq!(vs[1].spec, spec2);
        assert_eq!(
            cat.service_version("s", 2).unwrap().unwrap().source,
            "update"
        );
        assert_eq!(cat.list_services().unwrap().len(), 1);
        assert!(cat.delete_service("s").unwrap());
        assert!(!cat.delete_service("s").unwrap());
        assert!(cat.get_service("s").unwrap().is_none());
        assert!(cat.service_versions("s").unwrap().is_empty());
        assert!(cat.commit_version("s", &spec2, None).unwrap().is_none());
    }
}
