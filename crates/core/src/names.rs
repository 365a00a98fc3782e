//! Name rules shared by manifests, projects and models, and "did you mean".

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

/// Checks a project or OfflineModel name: `[A-Za-z][A-Za-z0-9_]{0,127}`.
/// Such a name can never escape the directory it is joined to.
pub fn check_model_name(what: &str, name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} name `{}` is invalid: it must match `[A-Za-z][A-Za-z0-9_]{{0,127}}`",
            name.escape_debug()
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
        assert!(check_model_name("model", "credit_lr2").is_ok());
        for bad in ["../x", "a/b", "", "_a", "a.b", "a\0b", &"a".repeat(129)] {
            assert!(check_model_name("model", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn suggestions() {
        let c = ["fraction", "seed"];
        assert_eq!(suggest("fractoin", c), Some("fraction"));
        assert_eq!(suggest("sed", c), Some("seed"));
        assert_eq!(suggest("overwrite", c), None);
    }
}
