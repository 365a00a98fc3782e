//! Name rules shared by manifests, projects and models, and "did you mean".
//!
//! Project, OfflineModel and export names share one rule,
//! `[A-Za-z][A-Za-z0-9_]{0,127}` ([`NAME_RULE`]), checked in one place,
//! [`check_name`]. [`ProjectName`] and [`ModelName`] are names that passed
//! it, and [`ModelRef`] parses `NAME` (the latest version) or `NAME@V`
//! (version `V`, a positive whole number).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The rule's regex, unanchored; a macro so the anchored patterns below are
/// built from the same literal.
macro_rules! name_rule {
    () => {
        "[A-Za-z][A-Za-z0-9_]{0,127}"
    };
}

/// The rule every project, OfflineModel and export name follows, as a regex
/// (unanchored; it appears in error messages).
pub const NAME_RULE: &str = name_rule!();

/// [`NAME_RULE`] anchored, for JSON Schema `pattern`s of name fields.
pub const NAME_PATTERN: &str = concat!("^", name_rule!(), "$");

/// The JSON Schema `pattern` of a model reference, `NAME` or `NAME@V`.
pub const MODEL_REF_PATTERN: &str = concat!("^", name_rule!(), "(@[1-9][0-9]*)?$");

/// The longest name, in bytes (all of them ASCII).
pub const MAX_NAME_LEN: usize = 128;

/// What a checked name names; it starts the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A project.
    Project,
    /// An OfflineModel.
    OfflineModel,
    /// The base name of exported model files.
    Export,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Project => "project",
            NameKind::OfflineModel => "OfflineModel",
            NameKind::Export => "export",
        })
    }
}

/// A name or model reference that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The name does not match [`NAME_RULE`].
    Invalid {
        /// What the name names.
        kind: NameKind,
        /// The name as given.
        name: String,
    },
    /// The version after `@` in a model reference is not a positive whole
    /// number.
    Version {
        /// The whole reference as given.
        reference: String,
        /// The part before `@`.
        name: String,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Invalid { kind, name } => write!(
                f,
                "{kind} name `{}` is invalid: it must match `{NAME_RULE}` \
                 (a letter, then letters, digits and `_`, at most {MAX_NAME_LEN} characters)",
                name.escape_debug()
            ),
            NameError::Version { reference, name } => write!(
                f,
                "`{}`: the version after `@` must be a positive whole number, as in `{name}@3`",
                reference.escape_debug()
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Checks `name` against [`NAME_RULE`]; the error names it as a `kind`
/// name. Such a name can never escape the directory it is joined to.
pub fn check_name(kind: NameKind, name: &str) -> Result<(), NameError> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(NameError::Invalid {
            kind,
            name: name.to_string(),
        })
    }
}

/// A checked name type: parsing, conversions and serde that validate.
macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty(String);

        impl $ty {
            /// What this type names, in error messages.
            pub const KIND: NameKind = $kind;

            /// Checks `name` and wraps it.
            pub fn parse(name: &str) -> Result<Self, NameError> {
                check_name(Self::KIND, name)?;
                Ok(Self(name.to_string()))
            }

            /// Checks `name` without keeping it.
            pub fn check(name: &str) -> Result<(), NameError> {
                check_name(Self::KIND, name)
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name as a `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                check_name(Self::KIND, &s)?;
                Ok(Self(s))
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = NameError;
            fn try_from(s: &str) -> Result<Self, NameError> {
                Self::parse(s)
            }
        }

        impl From<$ty> for String {
            fn from(n: $ty) -> String {
                n.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $ty {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// An OfflineModel name: `[A-Za-z][A-Za-z0-9_]{0,127}`.
    ModelName,
    NameKind::OfflineModel
);

name_type!(
    /// A project name: `[A-Za-z][A-Za-z0-9_]{0,127}`, the same rule as
    /// OfflineModel names.
    ProjectName,
    NameKind::Project
);

/// A model reference: `NAME` (the latest version) or `NAME@V` (version `V`,
/// a positive whole number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModelRef {
    /// The model name.
    pub name: ModelName,
    /// A pinned version; `None` is the latest.
    pub version: Option<u32>,
}

impl ModelRef {
    /// Parses and checks `NAME[@VERSION]`; `NAME@0` is refused.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let (name, version) =
            match text.split_once('@') {
                Some((n, v)) => {
                    let parsed = v.parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| {
                        NameError::Version {
                            reference: text.to_string(),
                            name: n.to_string(),
                        }
                    })?;
                    (n, Some(parsed))
                }
                None => (text, None),
            };
        Ok(ModelRef {
            name: ModelName::parse(name)?,
            version,
        })
    }
}

impl FromStr for ModelRef {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ModelRef {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Self::parse(&s)
    }
}

impl From<ModelRef> for String {
    fn from(r: ModelRef) -> String {
        r.to_string()
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// Checks a node id: `[a-z][a-z0-9_]*`.
pub fn check_node_id(id: &str) -> Result<(), String> {
    let mut chars = id.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => {
            return Err(format!(
                "node id `{id}` must start with a lowercase letter (pattern `[a-z][a-z0-9_]*`)"
            ));
        }
    }
    if chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "node id `{id}` may only hold lowercase letters, digits and `_` (pattern `[a-z][a-z0-9_]*`)"
        ))
    }
}

/// Checks a pipeline name: lowercase letters, digits and `-`, starting with a letter.
pub fn check_pipeline_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "pipeline name `{name}` must be 1 to 63 lowercase letters, digits and `-`, starting with a letter"
        ))
    }
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance (Damerau–Levenshtein with adjacent swaps).
fn strsim_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids() {
        assert!(check_node_id("read_1").is_ok());
        assert!(check_node_id("1read").is_err());
        assert!(check_node_id("Read").is_err());
        assert!(check_node_id("re-ad").is_err());
        assert!(check_node_id("").is_err());
    }

    #[test]
    fn model_names_cannot_escape() {
        assert!(check_name(NameKind::OfflineModel, "credit_lr2").is_ok());
        for bad in ["../x", "a/b", "", "_a", "a.b", "a\0b", &"a".repeat(129)] {
            assert!(check_name(NameKind::OfflineModel, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_valid() {
        let long = "a".repeat(128);
        for good in ["a", "Z", "credit_lr2", "a_", "A1_b2", long.as_str()] {
            let n: ModelName = good.parse().expect(good);
            assert_eq!(n.as_str(), good);
            assert_eq!(n.to_string(), good);
            assert_eq!(AsRef::<str>::as_ref(&n), good);
            assert!(ProjectName::try_from(good.to_string()).is_ok());
        }
    }

    #[test]
    fn names_invalid_each_case() {
        let long = "a".repeat(129);
        for bad in [
            "",            // empty
            "1x",          // starts with a digit
            "_a",          // starts with `_`
            "a-b",         // `-`
            "a.b",         // `.`
            "a/b",         // `/`
            "a b",         // space
            "é",           // non-ASCII
            "ab\u{e9}",    // non-ASCII later
            long.as_str(), // 129 characters
        ] {
            assert!(ModelName::parse(bad).is_err(), "{bad:?}");
            assert!(ProjectName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn name_messages() {
        let e = ModelName::parse("1x").expect_err("1x");
        assert_eq!(
            e.to_string(),
            "OfflineModel name `1x` is invalid: it must match `[A-Za-z][A-Za-z0-9_]{0,127}` \
             (a letter, then letters, digits and `_`, at most 128 characters)"
        );
        let e = ProjectName::parse("a/b").expect_err("a/b");
        assert!(
            e.to_string().starts_with("project name `a/b` is invalid"),
            "{e}"
        );
        let e = check_name(NameKind::Export, "a\nb").expect_err("newline");
        assert!(
            e.to_string().starts_with("export name `a\\nb` is invalid"),
            "{e}"
        );
    }

    #[test]
    fn model_refs() {
        let r: ModelRef = "m".parse().expect("m");
        assert_eq!((r.name.as_str(), r.version), ("m", None));
        assert_eq!(r.to_string(), "m");
        let r: ModelRef = "m@3".parse().expect("m@3");
        assert_eq!((r.name.as_str(), r.version), ("m", Some(3)));
        assert_eq!(r.to_string(), "m@3");
        // Kept from the parser this replaced: a leading `+` or `0` is read.
        assert_eq!(ModelRef::parse("m@03").map(|r| r.version), Ok(Some(3)));
        assert_eq!(ModelRef::parse("m@+3").map(|r| r.version), Ok(Some(3)));
        for bad in ["m@0", "m@", "m@x", "m@-1", "m@1@2", "m@4294967296"] {
            let e = ModelRef::parse(bad).expect_err(bad);
            assert!(matches!(e, NameError::Version { .. }), "{bad}: {e}");
        }
        assert_eq!(
            ModelRef::parse("m@0").map_err(|e| e.to_string()),
            Err("`m@0`: the version after `@` must be a positive whole number, as in `m@3`".into())
        );
        for bad in ["", "@3", "1m@3", "a/b", "../x@1"] {
            let e = ModelRef::parse(bad).expect_err(bad);
            assert!(
                matches!(
                    e,
                    NameError::Invalid {
                        kind: NameKind::OfflineModel,
                        ..
                    }
                ),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn serde_validates() {
        let n: ModelName = serde_json::from_str("\"bc_lr\"").expect("valid");
        assert_eq!(serde_json::to_string(&n).expect("ser"), "\"bc_lr\"");
        let e = serde_json::from_str::<ModelName>("\"../x\"").expect_err("invalid");
        assert!(
            e.to_string()
                .contains("OfflineModel name `../x` is invalid"),
            "{e}"
        );
        let e = serde_json::from_str::<ProjectName>("\"a b\"").expect_err("invalid");
        assert!(
            e.to_string().contains("project name `a b` is invalid"),
            "{e}"
        );
        let r: ModelRef = serde_json::from_str("\"m@2\"").expect("valid");
        assert_eq!(r.version, Some(2));
        assert_eq!(serde_json::to_string(&r).expect("ser"), "\"m@2\"");
    }

    #[test]
    fn patterns_share_the_rule() {
        assert_eq!(NAME_PATTERN, "^[A-Za-z][A-Za-z0-9_]{0,127}$");
        assert_eq!(
            MODEL_REF_PATTERN,
            "^[A-Za-z][A-Za-z0-9_]{0,127}(@[1-9][0-9]*)?$"
        );
    }

    #[test]
    fn suggestions() {
        let c = ["fraction", "seed"];
        assert_eq!(suggest("fractoin", c), Some("fraction"));
        assert_eq!(suggest("sed", c), Some("seed"));
        assert_eq!(suggest("overwrite", c), None);
    }
}
