//! Exports of several objects as one unit: checked against the RAM roles
//! first, refused whole on a conflict, journaled in the catalog while they
//! write, and rolled back (by the next command) if the writer died.

use crate::{Meter, OssUri, Store, StoreError};

/// One object of an export.
#[derive(Debug, Clone)]
pub struct ExportObject {
    /// Where it goes.
    pub uri: OssUri,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Writes `objects` in order. Without `overwrite`, any existing object
    /// fails the export before anything is written, and a racing export
    /// that creates the first object first wins: the loser writes nothing.
    /// Each object is written atomically; the unit is journaled so that a
    /// crash midway leaves nothing of a fresh export once recovered. A
    /// `meter` is checked against the budget before anything is written
    /// and recorded in the transaction that completes the export.
    pub fn export(
        &self,
        objects: &[ExportObject],
        overwrite: bool,
        role: Option<&str>,
        meter: Option<&Meter<'_>>,
    ) -> Result<(), StoreError> {
        for o in objects {
            crate::roles::authorize(&self.config, &o.uri, crate::roles::Access::Write, role)?;
        }
        if let Some(m) = meter {
            self.usage.check_budget(
                m.billing,
                m.entry.class,
                &m.entry.operation,
                crate::usage::now(),
            )?;
        }
        let mut fresh = Vec::new();
        for o in objects {
            if self.oss.exists(&o.uri, role)? {
                if !overwrite {
                    return Err(StoreError::ObjectExists(o.uri.to_string()));
                }
            } else {
                fresh.push(o.uri.to_string());
            }
        }
        pai_core::failpoint("export:checked");
        let journal = self.models.catalog().begin_export(&fresh)?;
        let mut written: Vec<&OssUri> = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            if i > 0 {
                pai_core::failpoint("export:partial");
            }
            if let Err(e) = self.oss.put(&o.uri, o.bytes.clone(), overwrite, role) {
                for uri in written.iter().filter(|u| fresh.contains(&u.to_string())) {
                    let _ = self.oss.delete(uri, role);
                }
                self.models.catalog().end_export(journal, None)?;
                return Err(e);
            }
            written.push(&o.uri);
        }
        if let Err(e) = self.models.catalog().end_export(journal, meter) {
            // Refused by the budget at the last moment (a racing request
            // took the room): undo, so that nothing is half-done.
            for uri in written.iter().filter(|u| fresh.contains(&u.to_string())) {
                let _ = self.oss.delete(uri, role);
            }
            self.models.catalog().end_export(journal, None)?;
            return Err(e);
        }
        Ok(())
    }

    /// Rolls back exports whose writer died: deletes the objects they
    /// created. Returns how many exports were rolled back.
    pub fn recover_exports(&self) -> Result<usize, StoreError> {
        let mut rolled = 0;
        for (id, objects, pid) in self.models.catalog().pending_exports()? {
            if crate::owner::pid_alive(pid) {
                continue;
            }
            for o in &objects {
                let uri = OssUri::parse(o).map_err(StoreError::Invalid)?;
                // Recovery acts for the dead writer, which was authorized.
                self.oss.delete_unchecked(&uri)?;
            }
            tracing::warn!(
                journal = id,
                objects = objects.len(),
                pid,
                "rolled back an export whose writer died"
            );
            self.models.catalog().end_export(id, None)?;
            rolled += 1;
        }
        Ok(rolled)
    }
}
