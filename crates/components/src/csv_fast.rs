//! The fast path of CSV reading for the common large case: no quoted
//! fields and every column numeric. The file is split into byte ranges on
//! line boundaries; each thread streams its range in blocks (no whole-file
//! buffer) and parses every field in one pass, numbers with an exact fast
//! path or `lexical-core`. Anything it does not handle exactly (a quote, a
//! ragged row, a value that does not parse) returns `None`, and the caller
//! falls back to the general Arrow decoder, which reports errors with their
//! line and widens types.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field};
use rayon::prelude::*;

/// One column's values from one chunk.
enum Values {
    F64(Vec<f64>),
    I64(Vec<i64>),
}

struct ColumnChunk {
    values: Values,
    /// Empty until the first null; then one flag per row.
    valid: Vec<bool>,
    nulls: usize,
}

impl ColumnChunk {
    fn len(&self) -> usize {
        match &self.values {
            Values::F64(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }
}

/// Bytes read per block.
const BLOCK: usize = 4 << 20;

/// Reads the numeric `fields` from the lines of `file` after `body_start`.
/// `Ok(None)` when the fast path does not apply.
pub fn read_numeric(
    file: &File,
    body_start: u64,
    fields: &[Field],
    delimiter: u8,
) -> std::io::Result<Option<Vec<ArrayRef>>> {
    let Some(kinds) = fields
        .iter()
        .map(|f| match f.data_type() {
            DataType::Float64 => Some(true),
            DataType::Int64 => Some(false),
            _ => None,
        })
        .collect::<Option<Vec<bool>>>()
    else {
        return Ok(None);
    };
    let len = file.metadata()?.len();
    let parts = rayon::current_num_threads().max(1) * 2;
    let bounds = boundaries(file, body_start, len, parts)?;
    let ranges: Vec<(u64, u64)> = bounds
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect();
    let parsed: Vec<Option<Vec<ColumnChunk>>> = ranges
        .par_iter()
        .map(|&(a, b)| read_part(file, a, b, &kinds, delimiter))
        .collect::<std::io::Result<_>>()?;
    let Some(parsed) = parsed.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    Ok(Some(assemble(&parsed, &kinds)))
}

/// Part boundaries: byte offsets where lines start, from `body_start` to `len`.
fn boundaries(file: &File, body_start: u64, len: u64, parts: usize) -> std::io::Result<Vec<u64>> {
    let span = (len.saturating_sub(body_start))
        .div_ceil(parts as u64)
        .max(1);
    let mut out = vec![body_start];
    let mut window = vec![0u8; 64 << 10];
    for k in 1..parts as u64 {
        let mut off = (body_start + k * span).max(out.last().copied().unwrap_or(body_start));
        if off >= len {
            break;
        }
        // the next line starts after the first newline at or after `off - 1`
        off -= 1;
        let boundary = loop {
            let n = file.read_at(&mut window, off)?;
            if n == 0 {
                break len;
            }
            if let Some(p) = window[..n].iter().position(|b| *b == b'\n') {
                break off + p as u64 + 1;
            }
            off += n as u64;
        };
        if boundary >= len {
            break;
        }
        out.push(boundary);
    }
    out.push(len);
    Ok(out)
}

/// Streams the byte range `[a, b)` (whole lines) and parses it.
fn read_part(
    file: &File,
    a: u64,
    b: u64,
    kinds: &[bool],
    delimiter: u8,
) -> std::io::Result<Option<Vec<ColumnChunk>>> {
    let estimate = ((b - a) as usize / (kinds.len() * 8).max(1)).min(1 << 26);
    let mut cols = new_columns(kinds, estimate);
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK * 2);
    let mut off = a;
    while off < b {
        let carry = buf.len();
        let want = BLOCK.min((b - off) as usize);
        buf.resize(carry + want, 0);
        let mut got = 0;
        while got < want {
            let n = file.read_at(&mut buf[carry + got..], off + got as u64)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        buf.truncate(carry + got);
        off += got as u64;
        if got == 0 {
            break;
        }
        if buf[carry..].contains(&b'"') {
            return Ok(None);
        }
        // parse the complete lines; keep a trailing partial line for the next block
        let end = if off >= b {
            buf.len()
        } else {
            buf.iter().rposition(|c| *c == b'\n').map_or(0, |p| p + 1)
        };
        if parse_lines(&buf[..end], &mut cols, delimiter).is_none() {
            return Ok(None);
        }
        buf.drain(..end);
    }
    if !buf.is_empty() && parse_lines(&buf, &mut cols, delimiter).is_none() {
        return Ok(None);
    }
    Ok(Some(cols))
}

fn new_columns(kinds: &[bool], estimate: usize) -> Vec<ColumnChunk> {
    kinds
        .iter()
        .map(|&f| ColumnChunk {
            values: if f {
                Values::F64(Vec::with_capacity(estimate))
            } else {
                Values::I64(Vec::with_capacity(estimate))
            },
            valid: Vec::new(),
            nulls: 0,
        })
        .collect()
}

/// Concatenates the parts of each column into Arrow arrays.
fn assemble(parsed: &[Vec<ColumnChunk>], kinds: &[bool]) -> Vec<ArrayRef> {
    let mut out = Vec::with_capacity(kinds.len());
    for (c, &is_float) in kinds.iter().enumerate() {
        let rows: usize = parsed.iter().map(|p| p[c].len()).sum();
        let nulls: usize = parsed.iter().map(|p| p[c].nulls).sum();
        let validity = (nulls > 0).then(|| {
            let mut v = Vec::with_capacity(rows);
            for p in parsed {
                if p[c].nulls == 0 {
                    v.resize(v.len() + p[c].len(), true);
                } else {
                    v.extend_from_slice(&p[c].valid);
                }
            }
            NullBuffer::from(v)
        });
        let array: ArrayRef = if is_float {
            let mut v = Vec::with_capacity(rows);
            for p in parsed {
                if let Values::F64(x) = &p[c].values {
                    v.extend_from_slice(x);
                }
            }
            Arc::new(Float64Array::new(ScalarBuffer::from(v), validity))
        } else {
            let mut v = Vec::with_capacity(rows);
            for p in parsed {
                if let Values::I64(x) = &p[c].values {
                    v.extend_from_slice(x);
                }
            }
            Arc::new(Int64Array::new(ScalarBuffer::from(v), validity))
        };
        out.push(array);
    }
    out
}

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's exact fast path for plain decimals (`-12.345`, `6e-3`): when
/// the digits fit in 2^53 and the power of ten is at most 22, one IEEE
/// multiplication or division of two exact values is correctly rounded.
/// Returns the value and the bytes used, or `None` to use the full parser.
#[inline]
fn fast_f64(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let start = i;
    while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d < 10) {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        digits += 1;
        i += 1;
    }
    let mut exp: i32 = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d < 10) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
            digits += 1;
            exp -= 1;
            i += 1;
        }
    }
    if digits == 0 || digits > 19 || i == start {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut e: i32 = 0;
        let estart = i;
        while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d < 10) {
            e = e.saturating_mul(10).saturating_add(i32::from(d));
            i += 1;
        }
        if i == estart {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if mantissa > (1u64 << 53) || !(-22..=22).contains(&exp) {
        return None;
    }
    let m = mantissa as f64;
    let v = if exp >= 0 {
        m * POW10[exp as usize]
    } else {
        m / POW10[(-exp) as usize]
    };
    Some((if neg { -v } else { v }, i))
}

/// A float, including the spellings `NaN`, `inf` and `infinity` that the
/// fast parser leaves to the standard library.
fn parse_f64(field: &[u8]) -> Option<f64> {
    lexical_core::parse::<f64>(field)
        .ok()
        .or_else(|| std::str::from_utf8(field).ok()?.trim().parse().ok())
}

/// Parses complete lines into `cols`; `None` when the fast path does not apply.
fn parse_lines(chunk: &[u8], cols: &mut [ColumnChunk], delimiter: u8) -> Option<()> {
    let n = cols.len();
    let mut pos = 0usize;
    while pos < chunk.len() {
        // skip blank lines
        match chunk[pos] {
            b'\n' => {
                pos += 1;
                continue;
            }
            b'\r' if chunk.get(pos + 1) == Some(&b'\n') => {
                pos += 2;
                continue;
            }
            _ => {}
        }
        for (i, col) in cols.iter_mut().enumerate() {
            let rest = &chunk[pos..];
            let empty = matches!(rest.first(), None | Some(b'\n' | b'\r'))
                || rest.first() == Some(&delimiter);
            col.valid.push(!empty);
            col.nulls += usize::from(empty);
            // one pass: the parser reports how many bytes the number took
            let used = match &mut col.values {
                Values::F64(v) if empty => {
                    v.push(0.0);
                    0
                }
                Values::I64(v) if empty => {
                    v.push(0);
                    0
                }
                Values::F64(v) => match fast_f64(rest)
                    .map_or_else(|| lexical_core::parse_partial::<f64>(rest), Ok)
                {
                    Ok((x, used)) if used > 0 => {
                        v.push(x);
                        used
                    }
                    _ => {
                        let end = rest
                            .iter()
                            .position(|b| *b == delimiter || *b == b'\n' || *b == b'\r')
                            .unwrap_or(rest.len());
                        v.push(parse_f64(&rest[..end])?);
                        end
                    }
                },
                Values::I64(v) => {
                    let (x, used) = lexical_core::parse_partial::<i64>(rest).ok()?;
                    v.push(x);
                    used
                }
            };
            pos += used;
            // the field must end exactly here
            match (chunk.get(pos), i + 1 == n) {
                (Some(b), false) if *b == delimiter => pos += 1,
                (None, true) => {}
                (Some(b'\n'), true) => pos += 1,
                (Some(b'\r'), true) if chunk.get(pos + 1) == Some(&b'\n') => pos += 2,
                _ => return None, // a ragged row or a value that is not a whole number
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int64Type};

    fn fields() -> Vec<Field> {
        vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Float64, true),
        ]
    }

    fn read(text: &[u8]) -> Option<Vec<ArrayRef>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        let header = text.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
        read_numeric(&File::open(&p).unwrap(), header, &fields(), b',').unwrap()
    }

    #[test]
    fn parses_numbers_and_nulls_across_parts_and_blocks() {
        let cols = read(b"a,b\n1,0.5\n2,\n,-1e3\r\n4,NaN").unwrap();
        let a = cols[0].as_primitive::<Int64Type>();
        let b = cols[1].as_primitive::<Float64Type>();
        assert_eq!(a.len(), 4);
        assert_eq!(
            (a.value(0), a.value(1), a.is_null(2), a.value(3)),
            (1, 2, true, 4)
        );
        assert_eq!((b.value(0), b.is_null(1), b.value(2)), (0.5, true, -1000.0));
        assert!(b.value(3).is_nan());
    }

    #[test]
    fn fast_floats_are_bit_identical_to_the_standard_parser() {
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let mut checked = 0;
        for k in 0..200_000 {
            let x = f64::from_bits(next() ^ (next() << 11)).abs() % 1e6
                * if k % 2 == 0 { 1.0 } else { -1e-9 };
            for text in [
                format!("{x}"),
                format!("{x:.6}"),
                format!("{x:e}"),
                format!("{}", (next() % 100_000) as f64 / 1000.0),
            ] {
                if let Some((v, used)) = fast_f64(text.as_bytes()) {
                    assert_eq!(used, text.len(), "{text}");
                    assert_eq!(
                        v.to_bits(),
                        text.parse::<f64>().unwrap().to_bits(),
                        "{text}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 300_000, "the fast path was taken {checked} times");
        for text in [
            "0.1",
            "-0.5",
            "1e22",
            "9007199254740992",
            "123.456e-2",
            "+7",
            "5.",
        ] {
            assert_eq!(
                fast_f64(text.as_bytes()).unwrap().0,
                text.parse::<f64>().unwrap(),
                "{text}"
            );
        }
        for text in [
            "9007199254740993",
            "1e23",
            "nan",
            ".",
            "-",
            "1e",
            "12345678901234567890",
        ] {
            assert!(fast_f64(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn declines_what_it_cannot_parse_exactly() {
        for body in [
            &b"a,b\n1,2,3\n"[..],
            b"a,b\n1\n",
            b"a,b\n1.5,2\n",
            b"a,b\nx,2\n",
            b"a,b\n\"1\",2\n",
        ] {
            assert!(read(body).is_none(), "{body:?}");
        }
        // a large file spans several parts and blocks, and rows stay in order
        let mut text = b"a,b\n".to_vec();
        for i in 0..400_000 {
            text.extend_from_slice(format!("{i},{}.25\n", i % 1000).as_bytes());
        }
        let cols = read(&text).unwrap();
        let a = cols[0].as_primitive::<Int64Type>();
        assert_eq!(a.len(), 400_000);
        assert!(a.values().iter().enumerate().all(|(i, v)| *v == i as i64));
        assert_eq!(cols[1].as_primitive::<Float64Type>().value(1234), 234.25);
    }
}
