//! pai-store: where pai-engine keeps its state.
//!
//! It owns the workspace (the state directory and `pai-engine.toml`), the
//! [`Catalog`] of runs, node runs and logs (SQLite by default, behind a trait
//! so that PostgreSQL can follow), and the atomic file writes that every
//! output goes through, the OfflineModels of each project, and the OSS
//! buckets with their RAM roles.

mod billing;
mod catalog;
mod config;
mod digest_writer;
mod error;
mod exports;
pub mod fsutil;
mod model_catalog;
mod models;
mod money;
mod oss;
mod oss_uri;
mod owner;
mod roles;
mod schedules;
mod services;
mod sqlite;
mod sqlite_models;
mod sqlite_runs;
mod sqlite_schedules;
mod sqlite_services;
mod sqlite_usage;
mod store;
mod usage;
mod workspace;

pub use billing::{Billing, Price};
pub use catalog::{Catalog, NodeRecord, RunRecord};
pub use config::{
    BillingConfig, BucketConfig, BucketKind, BudgetConfig, Config, DecimalText, PriceConfig,
    RoleConfig, SchedulerConfig, ServerConfig,
};
pub use error::StoreError;
pub use exports::ExportObject;
pub use model_catalog::{IfExists, ModelCatalog, ModelVersion, NewModelVersion};
pub use models::{ModelFile, ModelStore};
pub use money::Money;
pub use oss::{ObjectEntry, Oss};
pub use oss_uri::{OssUri, check_bucket, check_key};
pub use owner::{RunOwner, host_name};
pub use pai_core::ModelRef;
pub use roles::{Access, authorize};
pub use schedules::{
    ClaimOutcome, FireRecord, FireUpdate, NewFire, RegisterSchedule, ScheduleCatalog, ScheduleRow,
};
pub use services::{
    DesiredState, ServiceCatalog, ServiceRecord, ServiceState, ServiceVersionRecord,
};
pub use sqlite::SqliteCatalog;
pub use sqlite_usage::{Meter, succeeded_by_class};
pub use store::Store;
pub use usage::{Bill, ClassBill, CountRow, LedgerRow, ProjectBill, UsageLedger, estimate, now};
pub use workspace::{CONFIG_FILE, Workspace};
