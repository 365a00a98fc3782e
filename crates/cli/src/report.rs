//! How an error reaches the user: its chain of causes on one line, each
//! cause once. Errors such as `` `path`: {source} `` already show their
//! source, which anyhow's `{:#}` would print a second time.

use std::fmt;

/// Displays `e` and its causes as `outer: inner: …`, leaving out a cause
/// whose text the line already holds.
pub struct Report<'a>(pub &'a anyhow::Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        for cause in self.0.chain() {
            let text = cause.to_string();
            if line.contains(&text) {
                continue;
            }
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        f.write_str(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows its source in its own message, as the engine's I/O errors do.
    #[derive(Debug)]
    struct WithPath {
        path: String,
        source: std::io::Error,
    }

    impl fmt::Display for WithPath {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "`{}`: {}", self.path, self.source)
        }
    }

    impl std::error::Error for WithPath {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_already_shown_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(WithPath {
            path: "m.pmml".into(),
            source: io,
        });
        assert_eq!(Report(&e).to_string(), "`m.pmml`: no such file");
        let wrapped = e.context("cannot score");
        assert_eq!(
            Report(&wrapped).to_string(),
            "cannot score: `m.pmml`: no such file"
        );
    }
}
