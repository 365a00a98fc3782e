//! Maps JSON pointers into a YAML document back to line:column, so that
//! schema and semantic errors point at the right place in the file.
//! `serde_yaml` keeps no positions; `saphyr`'s marked tree does.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// Positions of every value and mapping key, by JSON pointer.
#[derive(Debug, Default)]
pub struct Positions {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl Positions {
    /// Indexes `text`; an unparsable document gives an empty index.
    pub fn index(text: &str) -> Self {
        let mut p = Positions::default();
        if let Ok(docs) = MarkedYaml::load_from_str(text)
            && let Some(doc) = docs.first()
        {
            p.walk(doc, String::new());
        }
        p
    }

    fn walk(&mut self, node: &MarkedYaml<'_>, pointer: String) {
        let start = node.span.start;
        self.values.insert(
            pointer.clone(),
            Pos {
                line: start.line(),
                col: start.col() + 1,
            },
        );
        match &node.data {
            YamlData::Mapping(map) => {
                for (k, v) in map {
                    let key = scalar_text(k);
                    let child = format!("{pointer}/{}", escape(&key));
                    let ks = k.span.start;
                    self.keys.insert(
                        child.clone(),
                        Pos {
                            line: ks.line(),
                            col: ks.col() + 1,
                        },
                    );
                    self.walk(v, child);
                }
            }
            YamlData::Sequence(seq) => {
                for (i, v) in seq.iter().enumerate() {
                    self.walk(v, format!("{pointer}/{i}"));
                }
            }
            _ => {}
        }
    }

    /// Where the value at `pointer` starts; falls back to the nearest
    /// ancestor that exists.
    pub fn value(&self, pointer: &str) -> Pos {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.values.get(p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Pos { line: 1, col: 1 },
            }
        }
    }

    /// Where the key of the entry at `pointer` starts (the value's position
    /// for sequence items and the root).
    pub fn key(&self, pointer: &str) -> Pos {
        self.keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.value(pointer))
    }
}

fn scalar_text(node: &MarkedYaml<'_>) -> String {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::Null) => "null".into(),
        YamlData::Representation(s, _, _) => s.to_string(),
        _ => String::new(),
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_and_keys() {
        let text = "a: 1\nspec:\n  nodes:\n    - id: x\n      params: { p/q: 2 }\n";
        let p = Positions::index(text);
        assert_eq!(p.value("/a"), Pos { line: 1, col: 4 });
        assert_eq!(p.key("/spec/nodes/0/id"), Pos { line: 4, col: 7 });
        assert_eq!(p.value("/spec/nodes/0/id"), Pos { line: 4, col: 11 });
        assert_eq!(p.key("/spec/nodes/0/params/p~1q"), Pos { line: 5, col: 17 });
        assert_eq!(p.value("/spec/nodes/0/missing"), Pos { line: 4, col: 7 });
    }
}
