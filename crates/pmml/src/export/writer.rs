//! The small XML tree the exporter builds ([`El`]) and its serialization:
//! escaped text and attributes, two-space indentation, and numbers written
//! so that they read back bit-exactly (non-finite numbers are refused).

use crate::error::PmmlError;

/// An attribute or text value: text, or a number formatted on output.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Num(f64),
}

/// One XML element with attributes, child elements and optional text.
#[derive(Debug, Clone)]
pub(crate) struct El {
    name: &'static str,
    attrs: Vec<(&'static str, Val)>,
    children: Vec<El>,
    text: Option<Val>,
}

impl El {
    /// An empty element.
    pub(crate) fn new(name: &'static str) -> Self {
        El {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }

    /// Adds a text attribute.
    pub(crate) fn attr(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((key, Val::Text(value.into())));
        self
    }

    /// Adds a text attribute in place.
    pub(crate) fn set(&mut self, key: &'static str, value: impl Into<String>) {
        self.attrs.push((key, Val::Text(value.into())));
    }

    /// Adds a numeric attribute (written to round-trip exactly).
    pub(crate) fn num(mut self, key: &'static str, value: f64) -> Self {
        self.attrs.push((key, Val::Num(value)));
        self
    }

    /// Adds a child element.
    pub(crate) fn child(mut self, child: El) -> Self {
        self.children.push(child);
        self
    }

    /// Adds child elements.
    pub(crate) fn children(mut self, children: impl IntoIterator<Item = El>) -> Self {
        self.children.extend(children);
        self
    }

    /// Appends a child element in place.
    pub(crate) fn push(&mut self, child: El) {
        self.children.push(child);
    }

    /// Sets the text content.
    pub(crate) fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(Val::Text(text.into()));
        self
    }

    /// Sets a number as the text content.
    pub(crate) fn num_text(mut self, value: f64) -> Self {
        self.text = Some(Val::Num(value));
        self
    }

    /// Serializes the element and its subtree at indentation `depth`.
    pub(crate) fn write(&self, out: &mut String, depth: usize) -> Result<(), PmmlError> {
        indent(out, depth);
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_into(out, &self.value(v, k)?, true);
            out.push('"');
        }
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>\n"),
            (Some(t), true) => {
                out.push('>');
                escape_into(out, &self.value(t, "text")?, false);
                out.push_str("</");
                out.push_str(self.name);
                out.push_str(">\n");
            }
            (_, false) => {
                out.push_str(">\n");
                if let Some(t) = &self.text {
                    indent(out, depth + 1);
                    escape_into(out, &self.value(t, "text")?, false);
                    out.push('\n');
                }
                for c in &self.children {
                    c.write(out, depth + 1)?;
                }
                indent(out, depth);
                out.push_str("</");
                out.push_str(self.name);
                out.push_str(">\n");
            }
        }
        Ok(())
    }

    fn value(&self, v: &Val, key: &str) -> Result<String, PmmlError> {
        match v {
            Val::Text(t) => Ok(t.clone()),
            Val::Num(x) => number(*x).ok_or_else(|| PmmlError::Export {
                message: format!(
                    "`{key}` of `{}` would be the non-finite number `{x}`; the model's parameters must be finite",
                    self.name
                ),
            }),
        }
    }
}

/// A finite number in the shortest form that reads back to the same `f64`
/// (Rust's `Debug`: `0.1`, `1.0`, `1e-7`); `None` for NaN and infinities.
pub(crate) fn number(x: f64) -> Option<String> {
    x.is_finite().then(|| format!("{x:?}"))
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Escapes `&`, `<`, `>` and, in attributes, quotes and whitespace control
/// characters (so that attribute values keep their tabs and newlines).
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn escapes_and_round_trips_numbers() {
        let e = El::new("A")
            .attr("name", "a<b & \"c\"\n")
            .num("x", 0.1 + 0.2)
            .child(El::new("B").text("x < y & z"))
            .child(El::new("C").num_text(1e-300));
        let mut s = String::new();
        e.write(&mut s, 0).unwrap();
        assert_eq!(
            s,
            "<A name=\"a&lt;b &amp; &quot;c&quot;&#10;\" x=\"0.30000000000000004\">\n  <B>x &lt; y &amp; z</B>\n  <C>1e-300</C>\n</A>\n"
        );
        for x in [0.1, 1.0 / 3.0, -2.5e-308, 5e-324, 1e300, 123456789.0, -0.0] {
            assert_eq!(
                number(x).unwrap().parse::<f64>().unwrap().to_bits(),
                x.to_bits()
            );
        }
        let doc = roxmltree::Document::parse(&s).unwrap();
        assert_eq!(doc.root_element().attribute("name"), Some("a<b & \"c\"\n"));
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        let mut s = String::new();
        let e = El::new("NumericPredictor").num("coefficient", f64::NAN);
        let err = e.write(&mut s, 0).unwrap_err().to_string();
        assert!(err.contains("`coefficient` of `NumericPredictor`"), "{err}");
    }
}
