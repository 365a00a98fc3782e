//! The one error type of `pai-client`.

/// What can go wrong talking to the admin API.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server address or token configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// The server could not be reached.
    #[error(
        "cannot reach the pai-engine server at `{url}`: {message}; is `pai-engine serve` running there?"
    )]
    Unreachable {
        /// The address called.
        url: String,
        /// What the transport said.
        message: String,
    },
    /// The server refused the request; `message` is its own explanation.
    #[error("{message} (HTTP {status})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server answered something this client cannot read.
    #[error("unexpected answer from `{url}`: {message}")]
    Decode {
        /// The address called.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A wait ran out of time.
    #[error(
        "service `{name}` did not get there within {seconds}s: it is {state}{reason}; `pai-engine services show {name}` follows it"
    )]
    Timeout {
        /// The service.
        name: String,
        /// The seconds waited.
        seconds: u64,
        /// Its last state.
        state: String,
        /// `: <reason>` when the service gave one.
        reason: String,
    },
}

impl ClientError {
    /// The HTTP status of an API refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
