//! Tokens: random service tokens, and the admin token `serve` uses —
//! `PAI_ADMIN_TOKEN`, else `[server] admin_token`, else the token stored
//! in the state directory (generated on first use, mode 0600).

use std::io::Read;
use std::path::{Path, PathBuf};

use pai_store::Config;

use crate::ServeError;

/// 32 random hex characters (from `/dev/urandom`; where that is missing,
/// a sha256 of the time, process and a counter).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        use sha2::Digest;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!(
            "{nanos}-{}-{}-{:p}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            &bytes
        );
        let digest = sha2::Sha256::digest(seed.as_bytes());
        bytes.copy_from_slice(&digest[..16]);
    }
    hex::encode(bytes)
}

/// Where the admin token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `PAI_ADMIN_TOKEN`.
    Env,
    /// `[server] admin_token`.
    Config,
    /// The state directory's file, read or just generated.
    File {
        /// The file.
        path: PathBuf,
        /// Whether it was generated now.
        generated: bool,
    },
}

/// The admin token for `serve` and where it came from.
pub fn admin_token(config: &Config, state_dir: &Path) -> Result<(String, TokenSource), ServeError> {
    if let Some(t) = std::env::var(pai_client::ADMIN_TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Ok((t, TokenSource::Env));
    }
    if let Some(t) = config
        .server
        .admin_token
        .clone()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok((t.trim().to_string(), TokenSource::Config));
    }
    let path = pai_client::admin_token_path(state_dir);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let t = text.trim().to_string();
        if !t.is_empty() {
            return Ok((
                t,
                TokenSource::File {
                    path,
                    generated: false,
                },
            ));
        }
    }
    let token = generate_token();
    std::fs::create_dir_all(state_dir).map_err(|e| ServeError::io(state_dir, e))?;
    write_private(&path, token.as_bytes()).map_err(|e| ServeError::io(&path, e))?;
    Ok((
        token,
        TokenSource::File {
            path,
            generated: true,
        },
    ))
}

/// Writes `bytes` to a file only its owner can read (0600), atomically.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Whether an `Authorization` header value carries `token`, raw or as
/// `Bearer <token>`.
pub fn matches(header: Option<&[u8]>, token: &str) -> bool {
    let Some(h) = header else {
        return false;
    };
    let h = h.trim_ascii();
    let given = h
        .strip_prefix(b"Bearer ")
        .or_else(|| h.strip_prefix(b"bearer "))
        .map_or(h, <[u8]>::trim_ascii);
    constant_time_eq(given, token.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_matched_raw_or_bearer() {
        let a = generate_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, generate_token());
        assert!(matches(Some(a.as_bytes()), &a));
        assert!(matches(Some(format!("Bearer {a}").as_bytes()), &a));
        assert!(!matches(Some(b"Bearer nope"), &a));
        assert!(!matches(None, &a));
    }

    #[cfg(unix)]
    #[test]
    fn generated_admin_token_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // The environment may name a token; this test is about the file.
        if std::env::var_os(pai_client::ADMIN_TOKEN_ENV).is_some() {
            return;
        }
        let (t, src) = admin_token(&Config::default(), dir.path()).unwrap();
        let TokenSource::File { path, generated } = src else {
            panic!("file expected")
        };
        assert!(generated);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, _) = admin_token(&Config::default(), dir.path()).unwrap();
        assert_eq!(t, again);
    }
}
