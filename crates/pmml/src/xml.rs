//! Thin helpers over `roxmltree` nodes: local names, element children without
//! `Extension`, typed attribute access and errors that carry the element's line.

use crate::error::PmmlError;
use crate::value::{DataType, OpType, parse_number};

/// A node of the parsed document.
pub(crate) type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

/// 1-based line on which `node` starts.
pub(crate) fn line(node: Node) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

/// Local name of an element (namespace ignored).
pub(crate) fn name<'a>(node: Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// Element children, skipping `Extension` elements (vendor data that never changes a result).
pub(crate) fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && name(*c) != "Extension")
}

/// First element child with the given local name.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    elements(node).find(|c| name(*c) == local)
}

/// All element children with the given local name.
pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    elements(node).filter(move |c| name(*c) == local)
}

/// First element child with the given local name, or an error naming the parent.
pub(crate) fn req_child<'a, 'i>(
    node: Node<'a, 'i>,
    local: &str,
) -> Result<Node<'a, 'i>, PmmlError> {
    child(node, local).ok_or_else(|| PmmlError::MissingElement {
        element: name(node).to_string(),
        child: local.to_string(),
        line: line(node),
    })
}

/// An attribute value, if present.
pub(crate) fn attr<'a>(node: Node<'a, '_>, key: &str) -> Option<&'a str> {
    node.attribute(key)
}

/// A required attribute value.
pub(crate) fn req_attr<'a>(node: Node<'a, '_>, key: &str) -> Result<&'a str, PmmlError> {
    node.attribute(key)
        .ok_or_else(|| PmmlError::MissingAttribute {
            element: name(node).to_string(),
            attribute: key.to_string(),
            line: line(node),
        })
}

/// An optional numeric attribute.
pub(crate) fn attr_f64(node: Node, key: &str) -> Result<Option<f64>, PmmlError> {
    match node.attribute(key) {
        None => Ok(None),
        Some(s) => parse_number(s).map(Some).ok_or_else(|| {
            invalid(
                node,
                format!("attribute `{key}` must be a number, found `{s}`"),
            )
        }),
    }
}

/// A required numeric attribute.
pub(crate) fn req_f64(node: Node, key: &str) -> Result<f64, PmmlError> {
    attr_f64(node, key)?.ok_or_else(|| PmmlError::MissingAttribute {
        element: name(node).to_string(),
        attribute: key.to_string(),
        line: line(node),
    })
}

/// Numeric attribute with a default.
pub(crate) fn f64_or(node: Node, key: &str, default: f64) -> Result<f64, PmmlError> {
    Ok(attr_f64(node, key)?.unwrap_or(default))
}

/// Optional `dataType` attribute.
pub(crate) fn data_type(node: Node) -> Result<Option<DataType>, PmmlError> {
    match node.attribute("dataType") {
        None => Ok(None),
        Some(s) => DataType::parse(s)
            .map(Some)
            .ok_or_else(|| bad_attr(node, "dataType", s)),
    }
}

/// Optional `optype` attribute.
pub(crate) fn op_type(node: Node) -> Result<Option<OpType>, PmmlError> {
    match node.attribute("optype") {
        None => Ok(None),
        Some(s) => OpType::parse(s)
            .map(Some)
            .ok_or_else(|| bad_attr(node, "optype", s)),
    }
}

/// Error for an element this crate does not implement.
pub(crate) fn unsupported(node: Node) -> PmmlError {
    PmmlError::UnsupportedElement {
        element: name(node).to_string(),
        line: line(node),
        hint: String::new(),
    }
}

/// Error for an element this crate does not implement, with advice.
pub(crate) fn unsupported_hint(node: Node, hint: &str) -> PmmlError {
    PmmlError::UnsupportedElement {
        element: name(node).to_string(),
        line: line(node),
        hint: format!("; {hint}"),
    }
}

/// Error for an attribute value this crate does not implement.
pub(crate) fn bad_attr(node: Node, key: &str, value: &str) -> PmmlError {
    PmmlError::UnsupportedAttribute {
        element: name(node).to_string(),
        attribute: key.to_string(),
        value: value.to_string(),
        line: line(node),
    }
}

/// Error for invalid content of an element.
pub(crate) fn invalid(node: Node, message: impl Into<String>) -> PmmlError {
    PmmlError::InvalidElement {
        element: name(node).to_string(),
        line: line(node),
        message: message.into(),
    }
}

/// Error for a field reference that does not resolve.
pub(crate) fn unknown_field(node: Node, field: &str) -> PmmlError {
    PmmlError::UnknownField {
        field: field.to_string(),
        element: name(node).to_string(),
        line: line(node),
    }
}

/// Fails on any element child whose local name is not in `allowed`.
pub(crate) fn check_children(node: Node, allowed: &[&str]) -> Result<(), PmmlError> {
    for c in elements(node) {
        if !allowed.contains(&name(c)) {
            return Err(unsupported(c));
        }
    }
    Ok(())
}

/// Splits the text of an `Array` element into its items (quoted strings may hold spaces).
pub(crate) fn array_items(node: Node) -> Vec<String> {
    let text = node.text().unwrap_or("");
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    }
                    '"' => break,
                    _ => s.push(c),
                }
            }
            out.push(s);
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                s.push(c);
                chars.next();
            }
            out.push(s);
        }
    }
    out
}

/// Parses the items of a numeric `Array` element.
pub(crate) fn num_array(node: Node) -> Result<Vec<f64>, PmmlError> {
    array_items(node)
        .iter()
        .map(|s| {
            parse_number(s)
                .ok_or_else(|| invalid(node, format!("array item `{s}` is not a number")))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    #[test]
    fn array_splitting() {
        let doc =
            roxmltree::Document::parse(r#"<Array type="string">a "b c" "d\"e"</Array>"#).unwrap();
        assert_eq!(array_items(doc.root_element()), vec!["a", "b c", "d\"e"]);
    }
}
