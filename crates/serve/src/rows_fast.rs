//! A direct reader of EAS request bodies for models whose inputs are all
//! numbers: one pass over the bytes, keys matched against the field the
//! previous key predicts (clients send fields in a fixed order) before the
//! name index, numbers checked against the JSON grammar and converted by
//! the standard library's correctly rounded parser.
//!
//! It yields exactly the batch the general (serde) reader yields, or
//! `None` whenever it meets anything it does not handle itself — an
//! escaped or non-UTF-8 key, a nested value under an unknown key, a
//! duplicate field, a value of the wrong type, malformed JSON — so that
//! the general reader then decides, with its own error messages.

use crate::model::{FieldIndex, FieldKind, InputBatch, InputColumn, InputField};

/// Reads `body` when every field is a number; `None` hands it to the
/// general reader.
pub(crate) fn parse_numeric_rows(
    body: &[u8],
    fields: &[InputField],
    index: &FieldIndex,
    eas_defaults: bool,
) -> Option<InputBatch> {
    if fields.iter().any(|f| f.kind != FieldKind::Number) {
        return None;
    }
    let row_bytes: usize = fields.iter().map(|f| f.name.len() + 12).sum::<usize>() + 2;
    let capacity = (body.len() / row_bytes.max(1) + 1).min(1 << 20);
    let mut cols: Vec<Vec<Option<f64>>> = fields
        .iter()
        .map(|_| Vec::with_capacity(capacity))
        .collect();
    // `seen[i] == stamp`: field `i` was given in the current row.
    let mut seen = vec![0u32; fields.len()];
    let mut stamp = 0u32;
    let mut c = Cursor { b: body, i: 0 };
    c.ws();
    c.eat(b'[')?;
    c.ws();
    let mut rows = 0usize;
    if c.peek() == Some(b']') {
        c.i += 1;
    } else {
        loop {
            stamp = stamp.checked_add(1)?;
            c.ws();
            c.eat(b'{')?;
            c.ws();
            if c.peek() == Some(b'}') {
                c.i += 1;
            } else {
                let mut next = 0usize;
                loop {
                    c.eat(b'"')?;
                    let (key, field) = match c.expected_key(fields.get(next), index.is_plain(next))
                    {
                        Some(key) => (key, Some(next)),
                        None => {
                            let key = c.key()?;
                            (key, index.get(std::str::from_utf8(key).ok()?))
                        }
                    };
                    c.ws();
                    c.eat(b':')?;
                    c.ws();
                    match field {
                        Some(i) => {
                            let s = seen.get_mut(i)?;
                            if *s == stamp {
                                return None;
                            }
                            *s = stamp;
                            let v = c.number_or_null()?;
                            cols.get_mut(i)?.push(v);
                            next = i + 1;
                        }
                        None => {
                            std::str::from_utf8(key).ok()?;
                            c.skip_scalar()?;
                        }
                    }
                    c.ws();
                    match c.bump()? {
                        b',' => c.ws(),
                        b'}' => break,
                        _ => return None,
                    }
                }
            }
            for (col, s) in cols.iter_mut().zip(&seen) {
                if *s != stamp {
                    col.push(eas_defaults.then_some(0.0));
                }
            }
            rows += 1;
            c.ws();
            match c.bump()? {
                b',' => {}
                b']' => break,
                _ => return None,
            }
        }
    }
    c.ws();
    if c.i != body.len() {
        return None;
    }
    Some(InputBatch {
        rows,
        columns: cols.into_iter().map(InputColumn::Number).collect(),
    })
}

/// A position in the body.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.bump()? == want).then_some(())
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    /// The predicted key `field` when the string after the opening quote
    /// is exactly its name (`plain`: a name with no character that JSON
    /// must escape), consumed with its closing quote.
    fn expected_key(&mut self, field: Option<&InputField>, plain: bool) -> Option<&'a [u8]> {
        let name = field.filter(|_| plain)?.name.as_bytes();
        let end = self.i + name.len();
        let key = self.b.get(self.i..end)?;
        if key != name || self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(key)
    }

    /// The bytes of a string after its opening quote, up to the closing
    /// one (consumed); `None` for an escape or a control character.
    fn key(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        let rest = self.b.get(start..)?;
        let len = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.i = start + len + 1;
        rest.get(..len)
    }

    /// A number (`Some(Some(x))`) or `null` (`Some(None)`).
    fn number_or_null(&mut self) -> Option<Option<f64>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        self.number().map(Some)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then_some(())?;
        self.i = end;
        Some(())
    }

    /// A JSON number, converted as serde_json (with `float_roundtrip`)
    /// converts it for a number field: correctly rounded, integers without
    /// a sign on zero; `None` for malformed or out-of-range numbers.
    ///
    /// Digits are gathered while the grammar is checked; when there are
    /// at most 19 of them, forming an integer `w <= 2^53`, and the decimal
    /// exponent `e` is within ±22, `w · 10^e` is one correctly rounded
    /// multiplication or division of exact values (Clinger's fast path);
    /// anything else goes to the standard library's parser.
    fn number(&mut self) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let mut w: u64 = 0;
        let mut n_digits = 0usize;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                    w = w.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    n_digits += 1;
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let mut integer = true;
        let mut exp: i64 = 0;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integer = false;
            let first = self.i;
            while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                if n_digits > 0 || d != b'0' {
                    w = w.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    n_digits += 1;
                }
                exp -= 1;
                self.i += 1;
            }
            if self.i == first {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            integer = false;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    -1
                }
                Some(b'+') => {
                    self.i += 1;
                    1
                }
                _ => 1,
            };
            let first = self.i;
            let mut e: i64 = 0;
            while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                e = (e * 10 + i64::from(d - b'0')).min(1 << 40);
                self.i += 1;
            }
            if self.i == first {
                return None;
            }
            exp += sign * e;
        }
        let x = if n_digits <= 19 && w <= 1 << 53 && (-22..=22).contains(&exp) {
            let m = w as f64;
            let pow = POW10.get(exp.unsigned_abs() as usize).copied()?;
            let v = if exp < 0 { m / pow } else { m * pow };
            if negative { -v } else { v }
        } else {
            let text = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
            text.parse().ok()?
        };
        if !x.is_finite() {
            return None;
        }
        // serde_json reads `-0` as the integer 0.
        Some(if integer && x == 0.0 { 0.0 } else { x })
    }

    /// Skips a number, string, `true`, `false` or `null`.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                std::str::from_utf8(self.key()?).ok().map(|_| ())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::parse_rows;
    use proptest::prelude::*;

    fn fields() -> Vec<InputField> {
        ["a", "b", "c"]
            .iter()
            .map(|n| InputField {
                name: (*n).into(),
                kind: FieldKind::Number,
            })
            .collect()
    }

    /// The fast reader either declines or equals the general reader.
    fn agree(body: &str, defaults: bool) -> bool {
        let f = fields();
        let index = FieldIndex::new(&f);
        let general = parse_rows(body.as_bytes(), &f, &index, defaults);
        match parse_numeric_rows(body.as_bytes(), &f, &index, defaults) {
            None => true,
            Some(fast) => general.as_ref() == Ok(&fast),
        }
    }

    #[test]
    fn reads_rows_like_the_general_reader() {
        let f = fields();
        let index = FieldIndex::new(&f);
        for body in [
            r#"[{"a": 1.5, "b": -2, "c": 3e2}]"#,
            r#" [ { "c" : 1 , "a":2 } , {"b": null, "zz": "x", "yy": true} ] "#,
            r#"[{"a": -0, "b": -0.0, "c": 0.1e-400}, {}]"#,
            r#"[{"a": 12345678901234567890123, "b": 9007199254740993, "c": -9223372036854775809}]"#,
            "[]",
        ] {
            assert!(
                parse_numeric_rows(body.as_bytes(), &f, &index, false).is_some(),
                "{body}"
            );
            assert!(agree(body, false), "{body}");
            assert!(agree(body, true), "{body}");
        }
        let b = parse_numeric_rows(br#"[{"a": 1.5, "c": 2}, {"b": -0}]"#, &f, &index, false)
            .expect("read");
        assert_eq!(b.rows, 2);
        assert_eq!(b.columns[0], InputColumn::Number(vec![Some(1.5), None]));
        assert_eq!(b.columns[1], InputColumn::Number(vec![None, Some(0.0)]));
        // Declined: left to the general reader and its messages.
        for body in [
            r#"[{"a": 1, "a": 2}]"#,
            r#"[{"a": "1"}]"#,
            r#"[{"a": 1e400}]"#,
            r#"[{"a": 01}]"#,
            r#"[{"a": 1.}]"#,
            r#"[{"a\u0062": 1}]"#,
            r#"[{"z": {"x": 1}}]"#,
            r#"[{"a": 1},]"#,
            r#"[{"a": 1}] x"#,
            r#"{"a": 1}"#,
            "",
        ] {
            assert!(
                parse_numeric_rows(body.as_bytes(), &f, &index, false).is_none(),
                "{body}"
            );
        }
    }

    proptest! {
        #[test]
        fn never_disagrees_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let f = fields();
            let index = FieldIndex::new(&f);
            if let Some(fast) = parse_numeric_rows(&bytes, &f, &index, false) {
                prop_assert_eq!(parse_rows(&bytes, &f, &index, false), Ok(fast));
            }
        }

        #[test]
        fn never_disagrees_on_json_like_text(body in r#"\[( ?\{( ?"[abcz]" ?: ?(-?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?|null|"x"|true) ?,?){0,4}\} ?,?){0,3}\]"#) {
            prop_assert!(agree(&body, false), "{}", body);
            prop_assert!(agree(&body, true), "{}", body);
        }

        #[test]
        fn numbers_read_as_serde_json_reads_them(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let body = format!(r#"[{{"a": {x:e}, "b": {x}, "c": {}}}]"#, serde_json::to_string(&x).unwrap_or_default());
            let f = fields();
            let index = FieldIndex::new(&f);
            let fast = parse_numeric_rows(body.as_bytes(), &f, &index, false);
            prop_assert!(fast.is_some(), "declined {}", body);
            prop_assert_eq!(parse_rows(body.as_bytes(), &f, &index, false), Ok(fast.unwrap_or(InputBatch { rows: 0, columns: Vec::new() })));
        }
    }
}
