//! The EAS request and response bodies: a JSON array of objects keyed by
//! field name, parsed in one pass straight into typed columns (no
//! intermediate JSON tree), and results written back as an array of
//! objects. Unknown keys are ignored; a missing or `null` field is a
//! missing value, or with `eas_defaults` its type's default.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::model::{
    FieldIndex, InputBatch, InputColumn, InputField, OutputBatch, OutputColumn, OutputField,
};

/// Parses an EAS request body for a model with `fields`.
pub fn parse_rows(
    body: &[u8],
    fields: &[InputField],
    index: &FieldIndex,
    eas_defaults: bool,
) -> Result<InputBatch, String> {
    if let Some(batch) = crate::rows_fast::parse_numeric_rows(body, fields, index, eas_defaults) {
        return Ok(batch);
    }
    let mut columns: Vec<InputColumn> = fields
        .iter()
        .map(|f| InputColumn::with_capacity(f.kind, 1))
        .collect();
    let mut de = serde_json::Deserializer::from_slice(body);
    let rows = RowsSeed {
        fields,
        index,
        eas_defaults,
        columns: &mut columns,
    }
    .deserialize(&mut de)
    .map_err(|e| format!("invalid request body: {e}"))?;
    de.end().map_err(|e| {
        format!("invalid request body: trailing characters after the JSON array ({e})")
    })?;
    Ok(InputBatch { rows, columns })
}

struct RowsSeed<'a> {
    fields: &'a [InputField],
    index: &'a FieldIndex,
    eas_defaults: bool,
    columns: &'a mut Vec<InputColumn>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects keyed by field name, e.g. [{\"x\": 1.5}]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut seen = vec![false; self.fields.len()];
        let mut row = 0usize;
        loop {
            seen.iter_mut().for_each(|s| *s = false);
            let seed = RowSeed {
                fields: self.fields,
                index: self.index,
                columns: self.columns,
                seen: &mut seen,
                row,
            };
            match seq.next_element_seed(seed)? {
                None => break,
                Some(()) => {
                    for (col, was) in self.columns.iter_mut().zip(&seen) {
                        if !was {
                            col.push_missing(self.eas_defaults);
                        }
                    }
                    row += 1;
                }
            }
        }
        Ok(row)
    }
}

struct RowSeed<'a> {
    fields: &'a [InputField],
    index: &'a FieldIndex,
    columns: &'a mut Vec<InputColumn>,
    seen: &'a mut Vec<bool>,
    row: usize,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {} to be a JSON object keyed by field name",
            self.row
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed(self.index))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let (Some(field), Some(col)) = (self.fields.get(i), self.columns.get_mut(i)) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if self.seen[i] {
                return Err(de::Error::custom(format!(
                    "row {}: field `{}` is given twice",
                    self.row, field.name
                )));
            }
            self.seen[i] = true;
            map.next_value_seed(ValueSeed {
                field,
                col,
                row: self.row,
            })?;
        }
        Ok(())
    }
}

/// Maps a key to its field position (`None`: not an input of the model).
struct KeySeed<'a>(&'a FieldIndex);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.get(v))
    }
}

/// Appends one value to its typed column.
struct ValueSeed<'a> {
    field: &'a InputField,
    col: &'a mut InputColumn,
    row: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        E::custom(format!(
            "row {}: field `{}` expects {}, got {got}",
            self.row,
            self.field.name,
            self.field.kind.describe()
        ))
    }

    fn number<E: de::Error>(self, x: f64) -> Result<(), E> {
        match self.col {
            InputColumn::Number(v) => v.push(Some(x)),
            InputColumn::Integer(v) => {
                if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.007_199_254_740_992e15 {
                    return Err(self.wrong(&format!("{x}")));
                }
                v.push(Some(x as i64));
            }
            InputColumn::Text(v) => v.push(Some(pai_ml::format_number(x))),
            InputColumn::Boolean(_) => return Err(self.wrong(&format!("the number {x}"))),
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} for field `{}`",
            self.field.kind.describe(),
            self.field.name
        )
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
        self.number(x)
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> Result<(), E> {
        if let InputColumn::Integer(v) = self.col {
            v.push(Some(x));
            return Ok(());
        }
        if let InputColumn::Text(v) = self.col {
            v.push(Some(x.to_string()));
            return Ok(());
        }
        self.number(x as f64)
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> Result<(), E> {
        match i64::try_from(x) {
            Ok(i) => self.visit_i64(i),
            Err(_) => self.number(x as f64),
        }
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        match self.col {
            InputColumn::Boolean(v) => v.push(Some(b)),
            InputColumn::Text(v) => v.push(Some(b.to_string())),
            _ => return Err(self.wrong(&format!("the boolean {b}"))),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        match self.col {
            InputColumn::Text(v) => v.push(Some(s.to_string())),
            _ => return Err(self.wrong(&format!("the string {s:?}"))),
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.col.push_missing(false);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        Err(self.wrong("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        Err(self.wrong("an object"))
    }
}

/// Writes the results as a JSON array of objects, one per row.
pub fn write_rows(outputs: &[OutputField], batch: &OutputBatch, buf: &mut Vec<u8>) {
    let names: Vec<Vec<u8>> = outputs
        .iter()
        .map(|o| serde_json::to_vec(&o.name).unwrap_or_else(|_| b"\"\"".to_vec()))
        .collect();
    buf.push(b'[');
    for row in 0..batch.rows {
        if row > 0 {
            buf.push(b',');
        }
        buf.push(b'{');
        for (j, (name, col)) in names.iter().zip(&batch.columns).enumerate() {
            if j > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(name);
            buf.push(b':');
            write_value(col, row, buf);
        }
        buf.push(b'}');
    }
    buf.push(b']');
}

/// Writes one value as JSON (`null` when missing).
pub fn write_value(col: &OutputColumn, row: usize, buf: &mut Vec<u8>) {
    let null = |buf: &mut Vec<u8>| buf.extend_from_slice(b"null");
    match col {
        OutputColumn::Number(v) => match v.get(row).copied().flatten() {
            Some(x) if x.is_finite() => {
                let _ = serde_json::to_writer(&mut *buf, &x);
            }
            _ => null(buf),
        },
        OutputColumn::Integer(v) => match v.get(row).copied().flatten() {
            Some(x) => buf.extend_from_slice(x.to_string().as_bytes()),
            None => null(buf),
        },
        OutputColumn::Boolean(v) => match v.get(row).copied().flatten() {
            Some(true) => buf.extend_from_slice(b"true"),
            Some(false) => buf.extend_from_slice(b"false"),
            None => null(buf),
        },
        OutputColumn::Text(v) => match v.get(row).and_then(|s| s.as_deref()) {
            Some(s) => {
                let _ = serde_json::to_writer(&mut *buf, s);
            }
            None => null(buf),
        },
        OutputColumn::Json(v) => match v.get(row).and_then(|s| s.as_deref()) {
            Some(s) if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() => {
                buf.extend_from_slice(s.as_bytes());
            }
            Some(s) => {
                let _ = serde_json::to_writer(&mut *buf, s);
            }
            None => null(buf),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldKind;
    use proptest::prelude::*;

    fn fields() -> Vec<InputField> {
        vec![
            InputField {
                name: "x".into(),
                kind: FieldKind::Number,
            },
            InputField {
                name: "n".into(),
                kind: FieldKind::Integer,
            },
            InputField {
                name: "b".into(),
                kind: FieldKind::Boolean,
            },
            InputField {
                name: "s".into(),
                kind: FieldKind::Text,
            },
        ]
    }

    fn parse(body: &str, defaults: bool) -> Result<InputBatch, String> {
        let f = fields();
        parse_rows(body.as_bytes(), &f, &FieldIndex::new(&f), defaults)
    }

    #[test]
    fn rows_become_typed_columns() {
        let b = parse(
            r#"[{"x": 1.5, "n": 2, "b": true, "s": "a", "zz": [1]}, {"x": 3, "s": 7}]"#,
            false,
        )
        .unwrap();
        assert_eq!(b.rows, 2);
        assert_eq!(
            b.columns[0],
            InputColumn::Number(vec![Some(1.5), Some(3.0)])
        );
        assert_eq!(b.columns[1], InputColumn::Integer(vec![Some(2), None]));
        assert_eq!(b.columns[2], InputColumn::Boolean(vec![Some(true), None]));
        assert_eq!(
            b.columns[3],
            InputColumn::Text(vec![Some("a".into()), Some("7".into())])
        );
        let d = parse(r#"[{}]"#, true).unwrap();
        assert_eq!(d.columns[0], InputColumn::Number(vec![Some(0.0)]));
        assert_eq!(d.columns[2], InputColumn::Boolean(vec![Some(false)]));
        assert_eq!(d.columns[3], InputColumn::Text(vec![Some(String::new())]));
        assert_eq!(parse("[]", false).unwrap().rows, 0);
    }

    #[test]
    fn wrong_input_is_explained() {
        let e = parse(r#"[{"x": "abc"}]"#, false).unwrap_err();
        assert!(e.contains("row 0: field `x` expects a number"), "{e}");
        let e = parse(r#"[{"n": 1.5}]"#, false).unwrap_err();
        assert!(e.contains("`n`"), "{e}");
        assert!(parse(r#"{"x": 1}"#, false).unwrap_err().contains("array"));
        assert!(parse(r#"[1]"#, false).unwrap_err().contains("row 0"));
        assert!(parse(r#"[{"x": 1}] x"#, false).is_err());
        assert!(
            parse(r#"[{"x": 1, "x": 2}]"#, false)
                .unwrap_err()
                .contains("twice")
        );
        assert!(parse("", false).is_err());
    }

    #[test]
    fn results_are_written_as_objects() {
        let outputs = vec![
            OutputField {
                name: "p".into(),
                kind: crate::model::OutputKind::Number,
            },
            OutputField {
                name: "d".into(),
                kind: crate::model::OutputKind::Json,
            },
        ];
        let batch = OutputBatch {
            rows: 2,
            columns: vec![
                OutputColumn::Number(vec![Some(0.25), None]),
                OutputColumn::Json(vec![Some(r#"{"0":0.75}"#.into()), None]),
            ],
        };
        let mut buf = Vec::new();
        write_rows(&outputs, &batch, &mut buf);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"p": 0.25, "d": {"0": 0.75}}, {"p": null, "d": null}])
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let f = fields();
            let _ = parse_rows(&bytes, &f, &FieldIndex::new(&f), false);
        }

        #[test]
        fn valid_rows_parse(rows in proptest::collection::vec(
            (proptest::option::of(-1e9f64..1e9), proptest::option::of(any::<i32>()), proptest::option::of(any::<bool>()), proptest::option::of("[a-z]{0,5}")), 0..20)) {
            let body: Vec<serde_json::Value> = rows.iter().map(|(x, n, b, s)| {
                let mut m = serde_json::Map::new();
                if let Some(x) = x { m.insert("x".into(), (*x).into()); }
                if let Some(n) = n { m.insert("n".into(), (*n).into()); }
                if let Some(b) = b { m.insert("b".into(), (*b).into()); }
                if let Some(s) = s { m.insert("s".into(), s.clone().into()); }
                serde_json::Value::Object(m)
            }).collect();
            let text = serde_json::to_string(&body).unwrap();
            let batch = parse(&text, false).unwrap();
            prop_assert_eq!(batch.rows, rows.len());
            let want: Vec<Option<f64>> = rows.iter().map(|r| r.0).collect();
            prop_assert_eq!(&batch.columns[0], &InputColumn::Number(want));
            let want: Vec<Option<i64>> = rows.iter().map(|r| r.1.map(i64::from)).collect();
            prop_assert_eq!(&batch.columns[1], &InputColumn::Integer(want));
        }

        #[test]
        fn arbitrary_json_values_never_panic(v in arb_json()) {
            let text = serde_json::to_string(&v).unwrap();
            let r = parse(&text, false);
            if !v.is_array() { prop_assert!(r.is_err()); }
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e12f64..1e12).prop_map(serde_json::Value::from),
            "[a-z ]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[xnbsz]", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
