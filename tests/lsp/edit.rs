//! What an editor does with a completion item: resolve the snippet's
//! placeholders to their defaults and apply the edit, adjusting the
//! indentation of later lines.

use serde_json::Value;

/// A snippet with its placeholders replaced by their defaults: `${1:x}` →
/// `x`, `$1` and `${1}` → nothing, `${1|a,b|}` → `a`.
pub fn resolve_snippet(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let (out, _) = resolve_from(&chars, 0, false);
    out
}

/// Resolves from `i` until the end, or until the `}` closing a placeholder
/// when `nested`; returns the text and the index after it.
fn resolve_from(c: &[char], mut i: usize, nested: bool) -> (String, usize) {
    let mut out = String::new();
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                out.push(c[i + 1]);
                i += 2;
            }
            '}' if nested => return (out, i + 1),
            '$' if c.get(i + 1).is_some_and(char::is_ascii_digit) => {
                i += 1;
                while c.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
            }
            '$' if c.get(i + 1) == Some(&'{') => {
                i += 2;
                while c
                    .get(i)
                    .is_some_and(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
                {
                    i += 1;
                }
                match c.get(i) {
                    Some(':') => {
                        let (inner, next) = resolve_from(c, i + 1, true);
                        out.push_str(&inner);
                        i = next;
                    }
                    Some('|') => {
                        let end = (i + 1..c.len()).find(|&j| c[j] == '|').unwrap();
                        let choice: String = c[i + 1..end].iter().collect();
                        out.push_str(choice.split(',').next().unwrap_or_default());
                        i = end + 2; // past `|}`
                    }
                    _ => i += 1, // `}`
                }
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    (out, i)
}

/// The byte offset of a 0-based `line`:`character` in ASCII `text`.
fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let ch = pos["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    start + ch
}

/// `text` with completion `item` applied at `line`:`col`, as an editor does.
pub fn apply(text: &str, line: usize, col: usize, item: &Value) -> String {
    let here = serde_json::json!({ "line": line, "character": col });
    let (start, end, new_text) = match item.get("textEdit") {
        Some(edit) => {
            let range = edit.get("range").or_else(|| edit.get("replace")).unwrap();
            (
                offset(text, &range["start"]),
                offset(text, &range["end"]),
                edit["newText"].as_str().unwrap().to_string(),
            )
        }
        None => {
            let at = offset(text, &here);
            let insert = item.get("insertText").or_else(|| item.get("label"));
            (at, at, insert.and_then(Value::as_str).unwrap().to_string())
        }
    };
    let new_text = if item["insertTextFormat"] == 2 {
        resolve_snippet(&new_text)
    } else {
        new_text
    };
    // `InsertTextMode.adjustIndentation`, the default of VS Code and what
    // the server expects: later lines get the indentation of the first
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let indent: String = text[line_start..start]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let new_text = if item["insertTextMode"] == 1 {
        new_text
    } else {
        new_text.replace('\n', &format!("\n{indent}"))
    };
    format!("{}{new_text}{}", &text[..start], &text[end..])
}

#[test]
fn snippets_resolve_to_their_defaults() {
    assert_eq!(resolve_snippet("a: ${1:x}"), "a: x");
    assert_eq!(resolve_snippet("a: $1\nb: ${2}"), "a: \nb: ");
    assert_eq!(resolve_snippet("a: ${1:${2:in}ner}"), "a: inner");
    assert_eq!(resolve_snippet("a: ${1|p,q|} \\$x"), "a: p $x");
}

#[test]
fn later_lines_of_an_insert_get_the_cursor_line_indentation() {
    let item = serde_json::json!({ "insertText": "cols:\n  - ${1:a}", "insertTextFormat": 2 });
    assert_eq!(apply("p:\n  \n", 1, 2, &item), "p:\n  cols:\n    - a\n");
    let as_is = serde_json::json!({ "insertText": "k:\n  v", "insertTextMode": 1 });
    assert_eq!(apply("p:\n  \n", 1, 2, &as_is), "p:\n  k:\n  v\n");
}
