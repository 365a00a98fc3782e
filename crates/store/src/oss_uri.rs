//! OSS addresses: `oss://bucket/key`, with the bucket and key rules that
//! keep every object inside its bucket.

use std::fmt;

/// A parsed `oss://bucket/key` address. The key may be empty (the bucket's
/// root) and ends with `/` when it names a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OssUri {
    /// The bucket name.
    pub bucket: String,
    /// The object key or prefix, without a leading `/`.
    pub key: String,
}

impl OssUri {
    /// Parses and checks an address.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix("oss://").ok_or_else(|| {
            format!(
                "`{}` is not an OSS address: it must look like `oss://bucket/key`",
                text.escape_debug()
            )
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket).map_err(|m| format!("`{}`: {m}", text.escape_debug()))?;
        check_key(key).map_err(|m| format!("`{}`: {m}", text.escape_debug()))?;
        Ok(OssUri {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// The address of `name` inside this prefix (a `/` is added between).
    pub fn join(&self, name: &str) -> Result<Self, String> {
        let key = if self.key.is_empty() || self.key.ends_with('/') {
            format!("{}{name}", self.key)
        } else {
            format!("{}/{name}", self.key)
        };
        check_key(&key).map_err(|m| format!("`{name}`: {m}"))?;
        Ok(OssUri {
            bucket: self.bucket.clone(),
            key,
        })
    }

    /// `bucket/key`, the form RAM role patterns match against.
    pub fn resource(&self) -> String {
        format!("{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for OssUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oss://{}/{}", self.bucket, self.key)
    }
}

/// Checks a bucket name: 3 to 63 lowercase letters, digits and `-`,
/// starting and ending with a letter or digit (OSS's rule).
pub fn check_bucket(name: &str) -> Result<(), String> {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=63).contains(&name.len())
        && name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bucket name `{}` is invalid: use 3 to 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
            name.escape_debug()
        ))
    }
}

/// Checks an object key: relative, at most 1023 bytes, no control
/// characters, no `\\` or `#`, and no empty, `.` or `..` segments.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.starts_with('/') {
        return Err("the key must not be absolute (no leading `/` after the bucket)".into());
    }
    if key.len() > 1023 {
        return Err(format!(
            "the key is {} bytes long; at most 1023 are allowed",
            key.len()
        ));
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the key holds the control character {:?}; keys may not contain control characters",
            c
        ));
    }
    if key.contains('\\') || key.contains('#') {
        return Err("the key may not contain `\\` or `#`".into());
    }
    let body = key.strip_suffix('/').unwrap_or(key);
    if body.is_empty() {
        return Ok(());
    }
    for seg in body.split('/') {
        match seg {
            "" => return Err("the key has an empty segment (`//`)".into()),
            "." | ".." => {
                return Err(format!(
                    "the key has a `{seg}` segment; keys may not climb out of their prefix"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buckets_keys_and_prefixes() {
        let u = OssUri::parse("oss://models/exports/v1/").unwrap();
        assert_eq!(u.bucket, "models");
        assert_eq!(u.key, "exports/v1/");
        assert_eq!(
            u.join("a.xml").unwrap().to_string(),
            "oss://models/exports/v1/a.xml"
        );
        let root = OssUri::parse("oss://models").unwrap();
        assert_eq!(root.key, "");
        assert_eq!(root.join("x").unwrap().key, "x");
        let no_slash = OssUri::parse("oss://models/dir").unwrap();
        assert_eq!(no_slash.join("x").unwrap().key, "dir/x");
        assert_eq!(no_slash.resource(), "models/dir");
    }

    #[test]
    fn traversal_absolute_and_control_characters_are_refused() {
        for bad in [
            "oss://models/../etc/passwd",
            "oss://models/a/../../b",
            "oss://models//abs",
            "oss://models/a//b",
            "oss://models/a/./b",
            "oss://models/a\u{0}b",
            "oss://models/a\nb",
            "oss://models/a\\b",
            "oss://models/a#1",
            "oss://Models/a",
            "oss://m/a",
            "oss://-models/a",
            "s3://models/a",
            "models/a",
        ] {
            assert!(OssUri::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let u = OssUri::parse("oss://models/ok/").unwrap();
        assert!(u.join("..").is_err());
        assert!(u.join("a/../../b").is_err());
        let e = OssUri::parse("oss://models/../x").unwrap_err();
        assert!(e.contains("`..` segment"), "{e}");
    }
}
