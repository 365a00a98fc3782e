//! The fast path of CSV reading for the common large case: no quoted
//! fields and every column numeric.
//!
//! The body is cut into parts of whole lines. Worker threads take the parts
//! in file order, stream each in blocks (no whole-file buffer) and parse
//! every field in one pass; each parsed part becomes one set of Arrow
//! columns (the parse buffers are the Arrow buffers: no copy) and is handed
//! to the caller's thread in file order as soon as it is ready, so the
//! caller writes part `k` while the workers parse the parts after it.
//!
//! Floats are parsed by [`parse_f64`]: eight digits at a time (SWAR) and
//! Eisel and Lemire's algorithm, correctly rounded and bit-identical to
//! `str::parse::<f64>`, which remains the fallback for the rare inputs the
//! fast algorithm cannot decide (more than 19 significant digits, exponents
//! beyond ±55, near-halfway cases).
//!
//! Anything the fast path does not handle exactly (a quote, a ragged row, a
//! value that does not parse) makes it decline, and the caller falls back to
//! the general Arrow decoder, which reports errors with their line and
//! widens types.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use arrow::array::{ArrayRef, Float64Array, Int64Array};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field};
use pai_core::{Error, Result};

/// One column of one part: its values, and its validity once a null is seen.
enum Column {
    F64(Vec<f64>, Option<Vec<bool>>),
    I64(Vec<i64>, Option<Vec<bool>>),
}

impl Column {
    /// Records a null: a placeholder value and, from the first null on, one
    /// validity flag per row.
    #[cold]
    fn push_null(&mut self) {
        match self {
            Column::F64(v, valid) => {
                valid.get_or_insert_with(|| vec![true; v.len()]).push(false);
                v.push(0.0);
            }
            Column::I64(v, valid) => {
                valid.get_or_insert_with(|| vec![true; v.len()]).push(false);
                v.push(0);
            }
        }
    }

    fn into_array(self) -> ArrayRef {
        match self {
            Column::F64(v, valid) => Arc::new(Float64Array::new(
                ScalarBuffer::from(v),
                valid.map(NullBuffer::from),
            )),
            Column::I64(v, valid) => Arc::new(Int64Array::new(
                ScalarBuffer::from(v),
                valid.map(NullBuffer::from),
            )),
        }
    }
}

/// Bytes read per block.
const BLOCK: usize = 4 << 20;
/// Bytes of CSV per part (one Arrow batch in the artifact).
const PART: u64 = 16 << 20;

/// Reads the numeric `fields` from the lines of `file` after `body_start`,
/// calling `emit` on the caller's thread with each part's columns, in file
/// order. `Ok(false)` when the fast path does not apply; `emit` may have
/// been called for the first parts by then, and the caller discards them.
/// An error from `emit` stops the workers and is returned.
pub fn read_numeric(
    path: &Path,
    file: &File,
    body_start: u64,
    fields: &[Field],
    delimiter: u8,
    emit: &mut dyn FnMut(Vec<ArrayRef>) -> Result<()>,
) -> Result<bool> {
    let io = |e| Error::io(path, e);
    let Some(kinds) = fields
        .iter()
        .map(|f| match f.data_type() {
            DataType::Float64 => Some(true),
            DataType::Int64 => Some(false),
            _ => None,
        })
        .collect::<Option<Vec<bool>>>()
    else {
        return Ok(false);
    };
    let len = file.metadata().map_err(io)?.len();
    let threads = rayon::current_num_threads().max(1);
    let parts = (len.saturating_sub(body_start).div_ceil(PART) as usize).max(threads);
    let bounds = boundaries(file, body_start, len, parts).map_err(io)?;
    let ranges: Vec<(u64, u64)> = bounds
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect();
    if ranges.len() <= 1 {
        // small: no threads
        for &(a, b) in &ranges {
            match read_part(file, a, b, &kinds, delimiter, &mut Vec::new()).map_err(io)? {
                Some(cols) => emit(cols)?,
                None => return Ok(false),
            }
        }
        return Ok(true);
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..threads.min(ranges.len()) {
            let tx = tx.clone();
            let (next, stop, ranges, kinds) = (&next, &stop, &ranges, &kinds);
            s.spawn(move || {
                let mut buf = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(a, b)) = ranges.get(k) else { break };
                    let part = read_part(file, a, b, kinds, delimiter, &mut buf);
                    let declined = !matches!(part, Ok(Some(_)));
                    if tx.send((k, part)).is_err() || declined {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // hand the parts over in file order
        let mut ready = BTreeMap::new();
        let mut want = 0;
        let result = (|| {
            for (k, part) in &rx {
                ready.insert(k, part);
                while let Some(part) = ready.remove(&want) {
                    match part.map_err(io)? {
                        Some(cols) => emit(cols)?,
                        None => return Ok(false),
                    }
                    want += 1;
                }
            }
            Ok(want == ranges.len())
        })();
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        result
    })
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

/// Streams the byte range `[a, b)` (whole lines) through `buf` and parses
/// it into Arrow columns; `None` when the fast path does not apply.
fn read_part(
    file: &File,
    a: u64,
    b: u64,
    kinds: &[bool],
    delimiter: u8,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<ArrayRef>>> {
    // rows: about one per (8 bytes a field) of text, an overestimate for
    // typical floats; capacity that is never touched costs no memory
    let estimate = ((b - a) as usize / (kinds.len() * 8).max(1)).min(1 << 26);
    let mut cols: Vec<Column> = kinds
        .iter()
        .map(|&f| {
            if f {
                Column::F64(Vec::with_capacity(estimate), None)
            } else {
                Column::I64(Vec::with_capacity(estimate), None)
            }
        })
        .collect();
    // `buf[..filled]` holds the bytes read and not parsed yet; it is
    // allocated (and zeroed) once a thread and reused
    if buf.len() < 2 * BLOCK {
        *buf = vec![0u8; 2 * BLOCK];
    }
    let mut filled = 0;
    let mut off = a;
    while off < b {
        let want = BLOCK.min((b - off) as usize).min(buf.len() - filled);
        let mut got = 0;
        while got < want {
            let n = file.read_at(&mut buf[filled + got..filled + want], off + got as u64)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            break;
        }
        if buf[filled..filled + got].contains(&b'"') {
            return Ok(None);
        }
        filled += got;
        off += got as u64;
        // parse the complete lines; keep a trailing partial line for the next block
        let end = if off >= b {
            filled
        } else {
            match buf[..filled].iter().rposition(|c| *c == b'\n') {
                Some(p) => p + 1,
                // a line longer than the buffer: make room
                None if filled == buf.len() => {
                    buf.resize(2 * buf.len(), 0);
                    continue;
                }
                None => 0,
            }
        };
        if parse_lines(&buf[..end], &mut cols, delimiter).is_none() {
            return Ok(None);
        }
        buf.copy_within(end..filled, 0);
        filled -= end;
    }
    if filled > 0 && parse_lines(&buf[..filled], &mut cols, delimiter).is_none() {
        return Ok(None);
    }
    Ok(Some(cols.into_iter().map(Column::into_array).collect()))
}

/// Whether `rest` starts with an empty field.
#[inline]
fn empty_field(rest: &[u8], delimiter: u8) -> bool {
    match rest.first() {
        None | Some(b'\n' | b'\r') => true,
        Some(b) => *b == delimiter,
    }
}

/// Parses complete lines into `cols`; `None` when the fast path does not apply.
fn parse_lines(chunk: &[u8], cols: &mut [Column], delimiter: u8) -> Option<()> {
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
            // one pass: the parser reports how many bytes the value took
            let used = match col {
                Column::F64(v, valid) => match parse_f64(rest) {
                    Some((x, used)) => {
                        v.push(x);
                        if let Some(valid) = valid {
                            valid.push(true);
                        }
                        used
                    }
                    None if empty_field(rest, delimiter) => {
                        col.push_null();
                        0
                    }
                    None => {
                        let (x, used) = parse_f64_other(rest, delimiter)?;
                        v.push(x);
                        if let Some(valid) = valid {
                            valid.push(true);
                        }
                        used
                    }
                },
                Column::I64(v, valid) => match parse_i64(rest) {
                    Some((x, used)) => {
                        v.push(x);
                        if let Some(valid) = valid {
                            valid.push(true);
                        }
                        used
                    }
                    None if empty_field(rest, delimiter) => {
                        col.push_null();
                        0
                    }
                    None => return None,
                },
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

/// A float field that is not a plain decimal: `NaN`, `inf`, `infinity`
/// (any case, as the standard library spells them), via `lexical-core`
/// and then the standard library. Returns the value and the bytes used.
#[cold]
fn parse_f64_other(rest: &[u8], delimiter: u8) -> Option<(f64, usize)> {
    if let Ok((x, used)) = lexical_core::parse_partial::<f64>(rest)
        && used > 0
    {
        return Some((x, used));
    }
    let end = rest
        .iter()
        .position(|b| *b == delimiter || *b == b'\n' || *b == b'\r')
        .unwrap_or(rest.len());
    let x = std::str::from_utf8(&rest[..end])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some((x, end))
}

// ---- numbers ---------------------------------------------------------------

/// The eight bytes at `s[i..]` as a little-endian word, when there are eight.
#[inline(always)]
fn load8(s: &[u8], i: usize) -> Option<u64> {
    let b: [u8; 8] = s.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Whether all eight bytes of `v` are ASCII digits.
#[inline(always)]
fn all_digits(v: u64) -> bool {
    let a = v.wrapping_add(0x4646_4646_4646_4646);
    let b = v.wrapping_sub(0x3030_3030_3030_3030);
    (a | b) & 0x8080_8080_8080_8080 == 0
}

/// The value of eight ASCII digits (the first byte most significant), in
/// three multiplications (SWAR).
#[inline(always)]
fn value8(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = v - 0x3030_3030_3030_3030;
    let v = v * 10 + (v >> 8);
    let v1 = (v & MASK).wrapping_mul(MUL1);
    let v2 = ((v >> 16) & MASK).wrapping_mul(MUL2);
    u64::from((v1.wrapping_add(v2) >> 32) as u32)
}

/// Accumulates the digits at `s[i..]` into `w`, eight at a time while
/// there are eight (wrapping: the caller checks the count); returns the
/// position after the last digit.
#[inline(always)]
fn digits(s: &[u8], mut i: usize, w: &mut u64) -> usize {
    while let Some(v) = load8(s, i).filter(|v| all_digits(*v)) {
        *w = w.wrapping_mul(100_000_000).wrapping_add(value8(v));
        i += 8;
    }
    while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d < 10) {
        *w = w.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    i
}

/// Parses the integer at the start of `s` (`[+-]digits`, at most 18
/// digits: always in range) and returns it with the bytes used; `None`
/// otherwise, including for longer integers, which `lexical-core` checks
/// for overflow.
#[inline]
fn parse_i64(s: &[u8]) -> Option<(i64, usize)> {
    let neg = s.first() == Some(&b'-');
    let start = usize::from(matches!(s.first(), Some(b'-' | b'+')));
    let mut w = 0u64;
    let end = digits(s, start, &mut w);
    match end - start {
        0 => None,
        1..=18 => {
            let v = w as i64;
            Some((if neg { -v } else { v }, end))
        }
        _ => lexical_core::parse_partial::<i64>(s).ok(),
    }
}

/// Parses the decimal number at the start of `s`
/// (`[+-]digits[.digits][(e|E)[+-]digits]`, with at least one mantissa
/// digit) and returns its value, correctly rounded and bit-identical to
/// `str::parse::<f64>`, with the bytes used. `None` when `s` does not start
/// with such a number (an empty field, `nan`, `inf`, `.`, `1e`, text).
#[inline]
pub fn parse_f64(s: &[u8]) -> Option<(f64, usize)> {
    let neg = s.first() == Some(&b'-');
    let start = usize::from(matches!(s.first(), Some(b'-' | b'+')));
    let mut w = 0u64;
    let mut i = digits(s, start, &mut w);
    let int_digits = i - start;
    let mut frac = 0usize;
    if s.get(i) == Some(&b'.') {
        let f = i + 1;
        i = digits(s, f, &mut w);
        frac = i - f;
    }
    let count = int_digits + frac;
    if count == 0 {
        return None;
    }
    let mantissa_end = i;
    let mut exp = -(frac as i64);
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = s.get(i) == Some(&b'-');
        i += usize::from(matches!(s.get(i), Some(b'-' | b'+')));
        let estart = i;
        let mut e = 0i64;
        while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d < 10) {
            if e < 1 << 40 {
                e = e * 10 + i64::from(d);
            }
            i += 1;
        }
        if i == estart {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if count > 19 {
        // `w` may have wrapped: leading zeros do not count, more than 19
        // significant digits go to the standard library
        let zeros = s[start..mantissa_end]
            .iter()
            .take_while(|b| matches!(b, b'0' | b'.'))
            .filter(|b| **b == b'0')
            .count();
        if count - zeros > 19 {
            return parse_std(s, i);
        }
    }
    let v = if w == 0 {
        0.0
    } else {
        match eisel_lemire(exp, w) {
            Some(v) => v,
            None => return parse_std(s, i),
        }
    };
    Some((if neg { -v } else { v }, i))
}

/// The standard library's parser on `s[..end]`, for what the fast
/// algorithm leaves.
#[cold]
fn parse_std(s: &[u8], end: usize) -> Option<(f64, usize)> {
    let text = std::str::from_utf8(&s[..end]).ok()?;
    Some((text.parse().ok()?, end))
}

/// The decimal exponents the power table covers; beyond them the standard
/// library parses.
const Q_MIN: i64 = -55;
/// See [`Q_MIN`].
const Q_MAX: i64 = 55;

/// `5^q` for `q` in `Q_MIN..=Q_MAX`, normalized to 128 bits (top bit set)
/// as (high word, low word): truncated for `q >= 0` and `q < -27`, the
/// truncated reciprocal plus one for `-27 <= q < 0` — the table of Lemire's
/// "Number Parsing at a Gigabyte per Second" (and of Rust's
/// `core::num::dec2flt`), computed at compile time.
static POW5: [(u64, u64); (Q_MAX - Q_MIN + 1) as usize] = pow5_table();

const fn pow5_table() -> [(u64, u64); (Q_MAX - Q_MIN + 1) as usize] {
    let mut out = [(0u64, 0u64); (Q_MAX - Q_MIN + 1) as usize];
    let mut k = 0;
    while k < out.len() {
        let q = Q_MIN + k as i64;
        let mut p: u128 = 1;
        let mut j = 0;
        while j < q.unsigned_abs() {
            p *= 5;
            j += 1;
        }
        let c: u128 = if q >= 0 {
            p << p.leading_zeros()
        } else {
            let z = 128 - (p - 1).leading_zeros(); // 2^(z-1) < p < 2^z
            if q >= -27 {
                div_pow2(z + 127, p, 0).0 + 1
            } else {
                // floor(2^(2z+128) / p) + 1, truncated to its top 128 bits
                let (top, low_ones) = div_pow2(2 * z + 128, p, z + 1);
                top + low_ones as u128
            }
        };
        out[k] = ((c >> 64) as u64, c as u64);
        k += 1;
    }
    out
}

/// `floor(2^n / p) >> drop` (which must fit in 128 bits) and whether the
/// `drop` bits shifted out are all ones (false when `drop` is 0), by binary
/// long division.
const fn div_pow2(n: u32, p: u128, drop: u32) -> (u128, bool) {
    let mut quotient: u128 = 0;
    let mut ones = drop > 0;
    let mut rem: u128 = 1;
    let mut bit = 0;
    while bit < n {
        let carry = rem >> 127;
        rem <<= 1;
        let one = carry == 1 || rem >= p;
        if one {
            rem = rem.wrapping_sub(p);
        }
        if bit + drop < n {
            quotient = (quotient << 1) | one as u128;
        } else {
            ones &= one;
        }
        bit += 1;
    }
    (quotient, ones)
}

/// `w * 10^q` correctly rounded (`w > 0`) by Eisel and Lemire's algorithm
/// (as in Rust's `core::num::dec2flt::lemire`); `None` when `q` is outside
/// the table or the 128-bit product cannot decide the rounding.
#[inline]
fn eisel_lemire(q: i64, w: u64) -> Option<f64> {
    /// 52 mantissa bits + 3.
    const MASK: u64 = u64::MAX >> 55;
    let (hi5, lo5) = *POW5.get(usize::try_from(q - Q_MIN).ok()?)?;
    let lz = w.leading_zeros() as i32;
    let w = w << lz;
    let full = u128::from(w) * u128::from(hi5);
    let (mut lo, mut hi) = (full as u64, (full >> 64) as u64);
    if hi & MASK == MASK {
        // the low word of the power decides
        let second = ((u128::from(w) * u128::from(lo5)) >> 64) as u64;
        lo = lo.wrapping_add(second);
        if second > lo {
            hi += 1;
        }
    }
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        return None;
    }
    let upper = (hi >> 63) as i32;
    let mut mantissa = hi >> (upper + 64 - 52 - 3);
    // the biased binary exponent: floor(q * log2(10)) + 63 + ...
    let mut power2 = ((q as i32).wrapping_mul(152_170 + 65_536) >> 16) + 63 + upper - lz + 1023;
    if power2 <= 0 {
        // subnormal
        if -power2 + 1 >= 64 {
            return Some(0.0);
        }
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        let p = u64::from(mantissa >= 1 << 52);
        return Some(f64::from_bits(mantissa | (p << 52)));
    }
    // exactly halfway between two floats: round to even
    if lo <= 1
        && (-4..=23).contains(&q)
        && mantissa & 3 == 1
        && (mantissa << (upper + 64 - 52 - 3)) == hi
    {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << 52 {
        mantissa = 1 << 52;
        power2 += 1;
    }
    mantissa &= !(1 << 52);
    if power2 >= 0x7FF {
        return Some(f64::INFINITY);
    }
    Some(f64::from_bits(mantissa | ((power2 as u64) << 52)))
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

    /// The columns read by the fast path, each part concatenated.
    fn read(text: &[u8]) -> Option<Vec<ArrayRef>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        let header = text.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
        let mut parts: Vec<Vec<ArrayRef>> = Vec::new();
        let done = read_numeric(
            &p,
            &File::open(&p).unwrap(),
            header,
            &fields(),
            b',',
            &mut |cols| {
                parts.push(cols);
                Ok(())
            },
        )
        .unwrap();
        done.then(|| {
            (0..2)
                .map(|c| {
                    let arrays: Vec<&dyn Array> = parts.iter().map(|p| p[c].as_ref()).collect();
                    arrow::compute::concat(&arrays).unwrap()
                })
                .collect()
        })
    }

    #[test]
    fn parses_numbers_and_nulls() {
        let cols = read(b"a,b\n1,0.5\n2,\n,-1e3\r\n4,NaN\n\n5,inf").unwrap();
        let a = cols[0].as_primitive::<Int64Type>();
        let b = cols[1].as_primitive::<Float64Type>();
        assert_eq!(a.len(), 5);
        assert_eq!(
            (a.value(0), a.value(1), a.is_null(2), a.value(3), a.value(4)),
            (1, 2, true, 4, 5)
        );
        assert_eq!((b.value(0), b.is_null(1), b.value(2)), (0.5, true, -1000.0));
        assert!(b.value(3).is_nan());
        assert_eq!(b.value(4), f64::INFINITY);
        assert_eq!(a.null_count() + b.null_count(), 2);
    }

    #[test]
    fn declines_what_it_cannot_parse_exactly() {
        for body in [
            &b"a,b\n1,2,3\n"[..],
            b"a,b\n1\n",
            b"a,b\n1.5,2\n",
            b"a,b\nx,2\n",
            b"a,b\n1,x\n",
            b"a,b\n1,1e\n",
            b"a,b\n1,.\n",
            b"a,b\n-,1\n",
            b"a,b\n99999999999999999999,1\n",
            b"a,b\n\"1\",2\n",
        ] {
            assert!(read(body).is_none(), "{body:?}");
        }
    }

    #[test]
    fn many_parts_keep_their_order_and_nulls() {
        // more than one part (16 MB each) and several blocks a part
        let mut text = b"a,b\n".to_vec();
        let mut i = 0i64;
        while text.len() < (40 << 20) {
            if i % 100_000 == 7 {
                text.extend_from_slice(format!("{i},\n").as_bytes());
            } else {
                text.extend_from_slice(format!("{i},{}.25\n", i % 1000).as_bytes());
            }
            i += 1;
        }
        let cols = read(&text).unwrap();
        let a = cols[0].as_primitive::<Int64Type>();
        let b = cols[1].as_primitive::<Float64Type>();
        assert_eq!(a.len(), i as usize);
        assert!(a.values().iter().enumerate().all(|(k, v)| *v == k as i64));
        assert_eq!(b.value(1234), 234.25);
        assert_eq!(b.null_count(), (i as usize - 7).div_ceil(100_000));
        assert!(b.is_null(100_007) && b.is_valid(100_008));
    }

    #[test]
    fn the_power_table_is_lemires() {
        let at = |q: i64| POW5[(q - Q_MIN) as usize];
        assert_eq!(at(-55), (0x9ced737bb6c4183d, 0x55464dd69685606b));
        assert_eq!(at(-28), (0xfd87b5f28300ca0d, 0x8bca9d6e188853fc));
        assert_eq!(at(-27), (0x9e74d1b791e07e48, 0x775ea264cf55347e));
        assert_eq!(at(-1), (0xcccccccccccccccc, 0xcccccccccccccccd));
        assert_eq!(at(0), (0x8000000000000000, 0));
        assert_eq!(at(28), (0x813f3978f8940984, 0x4000000000000000));
        assert_eq!(at(55), (0xd0cf4b50cfe20765, 0xfff4b4e3f741cf6d));
    }

    /// A small deterministic generator (PCG-style LCG, high bits).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = self.0;
            (x ^ (x >> 29)).wrapping_mul(0xbf58476d1ce4e5b9) ^ (x >> 32)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Checks that `parse_f64` parses all of `text` exactly as the standard
    /// library does; returns false when it declines.
    fn agrees(text: &str) -> bool {
        let want = text.parse::<f64>().unwrap();
        match parse_f64(text.as_bytes()) {
            Some((v, used)) => {
                assert_eq!(used, text.len(), "{text}");
                assert_eq!(v.to_bits(), want.to_bits(), "{text}: {v} vs {want}");
                // and inside a line, followed by more fields
                let line = format!("{text},1\n");
                assert_eq!(parse_f64(line.as_bytes()), Some((v, text.len())), "{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn floats_are_bit_identical_to_the_standard_parser() {
        let mut rng = Rng(7);
        for _ in 0..300_000 {
            // any finite double, in its shortest and other spellings
            let x = f64::from_bits(rng.next());
            if !x.is_finite() {
                continue;
            }
            let digits = rng.below(25) as usize;
            for text in [
                format!("{x}"),
                format!("{x:e}"),
                format!("{x:E}"),
                format!("{x:.digits$e}"),
                format!("{:.digits$}", x % 1e6),
                format!("{}", x / 1e300),
            ] {
                assert!(agrees(&text), "{text}");
            }
        }
    }

    #[test]
    fn random_decimal_strings_are_bit_identical_to_the_standard_parser() {
        let mut rng = Rng(11);
        let mut fast = 0;
        for _ in 0..500_000 {
            // sign, leading zeros, up to 24 digits with a point anywhere, an exponent
            let mut s = String::new();
            match rng.below(3) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            for _ in 0..rng.below(4).saturating_sub(2) {
                s.push('0');
            }
            let n = 1 + rng.below(24) as usize;
            let point = rng.below(n as u64 + 2) as usize;
            for k in 0..n {
                if k == point {
                    s.push('.');
                }
                s.push(char::from(b'0' + rng.below(10) as u8));
            }
            if point == n {
                s.push('.');
            }
            if rng.below(2) == 0 {
                let e = rng.below(700) as i64 - 350;
                let e = if rng.below(2) == 0 { e } else { e / 20 };
                let mark = if rng.below(2) == 0 { 'e' } else { 'E' };
                s.push_str(&format!("{mark}{e}"));
            }
            let s = if s.ends_with('.') && rng.below(2) == 0 {
                format!("{s}5")
            } else {
                s
            };
            if s.parse::<f64>().is_ok() {
                assert!(agrees(&s), "{s}");
                fast += 1;
            }
        }
        assert!(fast > 400_000, "{fast}");
    }

    #[test]
    fn ties_and_edges_are_bit_identical_to_the_standard_parser() {
        let mut rng = Rng(3);
        // exactly halfway between two doubles: an odd 54-bit integer times
        // a small power of two, written out exactly
        for _ in 0..20_000 {
            let t = (1u128 << 53) | u128::from(rng.next() >> 11) | 1;
            for j in 0..10 {
                assert!(agrees(&format!("{}", t << j)));
            }
            for p in 1..=3u32 {
                let digits = (t * 5u128.pow(p)).to_string();
                let (int, frac) = digits.split_at(digits.len() - p as usize);
                assert!(agrees(&format!("{int}.{frac}")));
            }
        }
        for text in [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0e10",
            "00001.5",
            "0.000",
            ".5",
            "5.",
            "-.5e-3",
            "1",
            "9007199254740992",
            "9007199254740993",
            "9007199254740995",
            "18446744073709551615",
            "18446744073709551616",
            "9999999999999999999",
            "99999999999999999999",
            "0.1",
            "0.2",
            "0.3",
            "1e22",
            "1e23",
            "1e-22",
            "123.456e-2",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2e308",
            "1e-400",
            "-1e-400",
            "1e400",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "5e-324",
            "1e-320",
            "8.98846567431158e307",
            "0.1257302210933933",
            "-0.10490011715303971",
            "-2.3250307746388343",
            "7.2057594037927933e16",
            "1.00000000000000011102230246251565404236316680908203125",
            "0.000000000000000000000000000001234",
            "1234567890123456789012345e-10",
            "3.0e0000000000000000000001",
            "1e-00000000000000000000000000005",
        ] {
            assert!(agrees(text), "{text}");
        }
        for text in [
            "",
            ".",
            "-",
            "+",
            "e5",
            ".e1",
            "1e",
            "1e+",
            "-e",
            "nan",
            "NaN",
            "inf",
            "-infinity",
            "x1",
            ",1",
        ] {
            assert!(parse_f64(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn integers_match_the_standard_parser() {
        let mut rng = Rng(5);
        for _ in 0..200_000 {
            let x = (rng.next() as i64) >> rng.below(64);
            for text in [format!("{x}"), format!("+{x}"), format!("000{x}")] {
                if let Ok(want) = text.parse::<i64>() {
                    assert_eq!(parse_i64(text.as_bytes()), Some((want, text.len())));
                }
            }
        }
        for text in ["9223372036854775807", "-9223372036854775808", "0", "-0"] {
            let want = text.parse::<i64>().unwrap();
            assert_eq!(parse_i64(text.as_bytes()), Some((want, text.len())));
        }
        for text in ["", "-", "x", "9223372036854775808", "-9223372036854775809"] {
            assert_eq!(parse_i64(text.as_bytes()), None, "{text}");
        }
    }
}
