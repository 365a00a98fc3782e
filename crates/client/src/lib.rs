//! pai-client: the admin API wire types of `pai-engine serve` and a
//! blocking HTTP client for them.
//!
//! The server (`pai-serve`), the command line (`pai-engine services`) and
//! the `deploy_eas` / `update_eas_service` components all speak through
//! the types here: [`ServiceSpec`] (the EAS-style service description),
//! [`ServiceStatus`] (what the admin API answers) and [`AdminClient`].

mod client;
mod error;
mod resolve;
mod spec;
mod status;

pub use client::AdminClient;
pub use error::ClientError;
pub use pai_core::ServiceState;
pub use pai_core::UsageContext;
pub use resolve::{
    ADMIN_TOKEN_ENV, ADMIN_TOKEN_FILE, DEFAULT_SERVER, SERVER_ENV, admin_token_path,
    resolve_admin_token, resolve_server_url,
};
pub use spec::{MissingValues, Processor, ServiceMetadata, ServiceSpec, check_service_name};
pub use status::{ErrorBody, RollbackRequest, ServiceStatus, VersionInfo};
