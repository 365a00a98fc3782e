//! Run variables substituted into node params: `${bizdate}` (the business
//! date: the slot's date in the schedule's timezone minus one day,
//! `YYYYMMDD`, as DataWorks has it) and `${slot_time}` (the slot, RFC 3339).
//!
//! Every string in a node's `params` (at any depth) is substituted before
//! the params are checked. `$${` writes a literal `${`. An unknown
//! `${name}`, or a `${` without its `}`, is a validation error at that
//! value, so a typo never reaches a run as literal text.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// Variable names and their values.
pub type Vars = BTreeMap<String, String>;

/// The variables of the slot `slot` (a time in the schedule's timezone).
pub fn slot_vars<Z: TimeZone>(slot: &DateTime<Z>) -> Vars
where
    Z::Offset: std::fmt::Display,
{
    let bizdate = slot
        .date_naive()
        .pred_opt()
        .unwrap_or(slot.date_naive())
        .format("%Y%m%d")
        .to_string();
    let mut v = Vars::new();
    v.insert("bizdate".into(), bizdate);
    v.insert(
        "slot_time".into(),
        slot.to_rfc3339_opts(SecondsFormat::Secs, false),
    );
    v
}

/// The variables of a run without a slot: the current time in `tz`.
pub fn now_vars(tz: chrono_tz::Tz) -> Vars {
    slot_vars(&Utc::now().with_timezone(&tz))
}

/// Replaces every `${name}` in `text` by its value; `$${` is a literal `${`.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, String> {
    if !text.contains("${") {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(format!("`${{` without a closing `}}` in `{text}`"));
            };
            let name = &after[..end];
            match vars.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    let known: Vec<&str> = vars.keys().map(String::as_str).collect();
                    return Err(format!(
                        "unknown variable `${{{name}}}` (known: {}; write `$${{` for a literal `${{`)",
                        known.join(", ")
                    ));
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Substitutes every string inside `value`; each failure comes with the
/// JSON pointer (relative to `value`) of the string.
pub(crate) fn substitute_value(
    value: &mut Value,
    vars: &Vars,
    pointer: &str,
    errors: &mut Vec<(String, String)>,
) {
    match value {
        Value::String(s) => match substitute(s, vars) {
            Ok(new) => *s = new,
            Err(e) => errors.push((pointer.to_string(), e)),
        },
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                substitute_value(v, vars, &format!("{pointer}/{i}"), errors);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let p = format!("{pointer}/{}", crate::positions::escape(k));
                substitute_value(v, vars, &p, errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bizdate_is_the_day_before_the_slot_in_its_zone() {
        let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        // 2024-03-01 01:00 in Shanghai is still February in UTC
        let slot = tz.with_ymd_and_hms(2024, 3, 1, 1, 0, 0).unwrap();
        let v = slot_vars(&slot);
        assert_eq!(v["bizdate"], "20240229");
        assert_eq!(v["slot_time"], "2024-03-01T01:00:00+08:00");
    }

    #[test]
    fn substitutes_escapes_and_rejects_unknown_names() {
        let mut v = Vars::new();
        v.insert("bizdate".into(), "20240101".into());
        assert_eq!(
            substitute("out/${bizdate}/x_$${bizdate}.csv $5", &v).unwrap(),
            "out/20240101/x_${bizdate}.csv $5"
        );
        assert_eq!(
            substitute("${bizdat}", &v).unwrap_err(),
            "unknown variable `${bizdat}` (known: bizdate; write `$${` for a literal `${`)"
        );
        assert!(
            substitute("a${bizdate", &v)
                .unwrap_err()
                .contains("closing")
        );
    }
}
