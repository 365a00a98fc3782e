//! RAM roles: which role may read or write which `bucket/prefix`, and the
//! decision for one access.

use crate::config::{Config, RoleConfig};
use crate::{OssUri, StoreError};

/// The kind of access asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading or listing objects.
    Read,
    /// Writing or deleting objects.
    Write,
}

impl Access {
    /// `read` or `write`, as in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// Decides whether `role` may access `uri`. A bucket with
/// `require_role = true` refuses access without a role; a named role must
/// exist and carry a matching grant.
pub fn authorize(
    config: &Config,
    uri: &OssUri,
    access: Access,
    role: Option<&str>,
) -> Result<(), StoreError> {
    let required = config
        .buckets
        .get(&uri.bucket)
        .is_some_and(|b| b.require_role);
    let Some(role) = role else {
        return if required {
            Err(StoreError::RoleRequired {
                uri: uri.to_string(),
                access: access.as_str(),
            })
        } else {
            Ok(())
        };
    };
    let Some(grants) = config.roles.get(role) else {
        let names: Vec<&str> = config.roles.keys().map(String::as_str).collect();
        return Err(StoreError::UnknownRole {
            role: role.to_string(),
            known: if names.is_empty() {
                "none are configured; add `[roles.NAME]` to pai-engine.toml".to_string()
            } else {
                let hint = pai_core::suggest(role, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                format!("{hint}configured roles: {}", names.join(", "))
            },
        });
    };
    if grants_access(grants, &uri.resource(), access) {
        Ok(())
    } else {
        Err(StoreError::AccessDenied {
            role: role.to_string(),
            uri: uri.to_string(),
            access: access.as_str(),
        })
    }
}

/// Whether a role's patterns grant `access` to `resource` (`bucket/key`).
/// Writing implies nothing about reading and vice versa.
fn grants_access(role: &RoleConfig, resource: &str, access: Access) -> bool {
    let patterns = match access {
        Access::Read => &role.read,
        Access::Write => &role.write,
    };
    patterns.iter().any(|p| pattern_matches(p, resource))
}

/// `*` matches any run of characters (including `/`); a pattern ending in
/// `/`, or a bare bucket name, covers everything below it.
fn pattern_matches(pattern: &str, resource: &str) -> bool {
    let pattern = if pattern.ends_with('/') {
        format!("{pattern}*")
    } else if !pattern.contains('/') && !pattern.contains('*') {
        format!("{pattern}/*")
    } else {
        pattern.to_string()
    };
    glob(pattern.as_bytes(), resource.as_bytes())
}

/// Iterative wildcard match with backtracking to the last `*`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BucketConfig;

    fn config() -> Config {
        let mut c = Config::default();
        c.buckets.insert(
            "secure".into(),
            BucketConfig {
                require_role: true,
                ..Default::default()
            },
        );
        c.roles.insert(
            "exporter".into(),
            RoleConfig {
                read: vec!["secure".into()],
                write: vec!["secure/exports/".into(), "open/*.xml".into()],
            },
        );
        c
    }

    fn uri(s: &str) -> OssUri {
        OssUri::parse(s).unwrap()
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("b/exports/", "b/exports/a/b.xml"));
        assert!(!pattern_matches("b/exports/", "b/exportsx/a"));
        assert!(pattern_matches("b", "b/anything"));
        assert!(!pattern_matches("b", "bb/anything"));
        assert!(pattern_matches("b/*.xml", "b/x/y.xml"));
        assert!(!pattern_matches("b/*.xml", "b/x/y.meta"));
        assert!(pattern_matches("b/exact", "b/exact"));
        assert!(!pattern_matches("b/exact", "b/exact2"));
    }

    #[test]
    fn required_roles_and_grants() {
        let c = config();
        let w = Access::Write;
        let e = authorize(&c, &uri("oss://secure/exports/m.xml"), w, None).unwrap_err();
        assert!(e.to_string().contains("requires a RAM role"), "{e}");
        assert!(authorize(&c, &uri("oss://secure/exports/m.xml"), w, Some("exporter")).is_ok());
        let e = authorize(&c, &uri("oss://secure/other/m.xml"), w, Some("exporter")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("`exporter`")
                && msg.contains("oss://secure/other/m.xml")
                && msg.contains("write"),
            "{msg}"
        );
        assert!(
            authorize(
                &c,
                &uri("oss://secure/other/m.xml"),
                Access::Read,
                Some("exporter")
            )
            .is_ok()
        );
        let e = authorize(&c, &uri("oss://open/m.xml"), w, Some("exportr")).unwrap_err();
        assert!(e.to_string().contains("did you mean `exporter`"), "{e}");
        // a bucket that requires nothing, accessed without a role
        assert!(authorize(&c, &uri("oss://open/m.meta"), w, None).is_ok());
        // ... but a named role is still checked
        assert!(authorize(&c, &uri("oss://open/m.meta"), w, Some("exporter")).is_err());
    }
}
