//! The `spec.schedules` of a manifest: cron triggers that run the pipeline
//! periodically. The document types (which generate the JSON Schema), their
//! semantic checks (cron syntax, timezone, node names, unique names), and
//! the validated [`Schedule`] with its slot arithmetic ([`CronSpec`]).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use pai_core::suggest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pipeline::{RetryPolicy, ValidatedPipeline};
use crate::positions::escape;

/// A cron trigger: the pipeline (or part of it) runs at every time the
/// expression matches in the timezone.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDoc {
    /// Unique within the manifest: lowercase letters, digits and `-`, starting with a letter.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,62}$"))]
    pub name: String,
    /// A cron expression: six fields with seconds first (`0 0 2 * * *`, DataWorks style; day of week 1–7 = Sunday–Saturday), an optional seventh for the year, or the standard five fields (`0 2 * * *`; day of week 0–7, 0 and 7 = Sunday). `@daily`, `@hourly`, `@weekly`, `@monthly` and `@yearly` also work.
    pub cron: String,
    /// The IANA timezone the expression is read in (e.g. `Asia/Shanghai`); default `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Run only these nodes and their ancestors; default the whole pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub nodes: Option<Vec<String>>,
    /// What to do with a slot that comes due while the previous run is still going (default `forbid`).
    #[serde(default)]
    pub concurrency_policy: ConcurrencyPolicy,
    /// What to do with the slots missed while no trigger was running (default `latest`).
    #[serde(default)]
    pub catchup: Catchup,
    /// A slot that would start more than this many seconds after its time is skipped and recorded as missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub starting_deadline_seconds: Option<u64>,
    /// Retry a failed scheduled run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<ScheduleRetries>,
    /// Stop firing (slots are skipped until it is `false` again).
    #[serde(default)]
    pub suspend: bool,
}

/// What to do with a slot that comes due while the previous run is still going.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConcurrencyPolicy {
    /// Start it anyway: runs overlap.
    Allow,
    /// Skip it and record it as skipped.
    #[default]
    Forbid,
    /// Cancel the previous run, then start it.
    Replace,
}

/// What to do with the slots missed while no trigger was running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Catchup {
    /// Skip every missed slot (each is recorded as missed).
    None,
    /// Run only the newest missed slot; the older ones are recorded as missed.
    #[default]
    Latest,
    /// Run every missed slot, oldest first.
    All,
}

/// How a failed scheduled run is retried.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRetries {
    /// How many retries after the first attempt.
    #[schemars(range(min = 0, max = 100))]
    pub limit: u32,
    /// Seconds to wait between attempts.
    #[serde(default = "default_backoff")]
    #[schemars(range(min = 0.0, max = 86400.0))]
    pub backoff_seconds: f64,
}

fn default_backoff() -> f64 {
    60.0
}

/// A parsed cron expression in a timezone: the slots it defines.
#[derive(Debug, Clone)]
pub struct CronSpec {
    expression: String,
    cron: cron::Schedule,
    tz: Tz,
}

/// How far a daylight-saving shift can move local time (the largest in
/// the IANA database is two hours).
const DST_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(3);

impl CronSpec {
    /// Parses `expression` (5, 6 or 7 fields, or a `@` shorthand) in the
    /// IANA timezone `timezone`; the error is a lowercase message.
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, String> {
        let tz = parse_timezone(timezone)?;
        let cron = parse_cron(expression)?;
        Ok(CronSpec {
            expression: expression.to_string(),
            cron,
            tz,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The timezone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first slot strictly after `t`, in instant order, or `None` when
    /// the expression matches nothing later. Daylight-saving rules are the
    /// cron crate's: a local time that does not exist is skipped, a local
    /// time that occurs twice is a slot at both instants.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        // the cron crate walks local wall time; skip what it yields at or before `t`
        // (in a repeated hour it yields the first pass before the second)
        let walked = self
            .cron
            .after(&local)
            .take(16)
            .map(|c| c.with_timezone(&Utc))
            .find(|c| *c > t);
        let offset = |x: DateTime<Utc>| x.with_timezone(&self.tz).offset().fix();
        let ahead = t + DST_WINDOW;
        let (now_off, ahead_off) = (offset(t), offset(ahead));
        if ahead_off.local_minus_utc() >= now_off.local_minus_utc() {
            return walked;
        }
        // a fall-back transition lies ahead: the repeated hour's second pass
        // is behind `t` in wall time, so the walk above cannot see it
        let (mut lo, mut hi) = (t.timestamp(), ahead.timestamp());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match Utc.timestamp_opt(mid, 0).single() {
                Some(m) if offset(m) == now_off => lo = mid,
                _ => hi = mid,
            }
        }
        let transition = Utc.timestamp_opt(hi, 0).single()?;
        let fixed: DateTime<FixedOffset> = (transition - chrono::TimeDelta::seconds(1))
            .max(t)
            .with_timezone(&ahead_off);
        let second_pass = self
            .cron
            .after(&fixed)
            .take(4)
            .map(|c| c.with_timezone(&Utc))
            .find(|c| *c > t && offset(*c) == ahead_off);
        match (walked, second_pass) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The slots in `(after, until]`, oldest first, at most `cap` of them.
    pub fn slots_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        cap: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut t = after;
        while out.len() < cap {
            match self.next_after(t) {
                Some(s) if s <= until => {
                    out.push(s);
                    t = s;
                }
                _ => break,
            }
        }
        out
    }

    /// `t` in this timezone, RFC 3339 with the zone's offset (`+08:00`).
    pub fn format(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

/// Parses an IANA timezone name; the error suggests a close name.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name).map_err(|_| {
        let hint = suggest(name, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        format!("unknown timezone `{name}`{hint} (an IANA name such as `Asia/Shanghai` or `UTC`)")
    })
}

/// Parses a cron expression: six or seven fields as the cron crate reads
/// them, or five standard fields (seconds `0` added, day of week 0–7 with
/// Sunday 0 or 7 mapped to the crate's 1–7 with Sunday 1).
pub fn parse_cron(expression: &str) -> Result<cron::Schedule, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let text = match fields.len() {
        1 if fields[0].starts_with('@') => fields[0].to_string(),
        5 => {
            check_ranges(&fields, &FIVE_FIELDS)
                .map_err(|e| format!("invalid cron expression `{expression}`: {e}"))?;
            let dow = standard_day_of_week(fields[4])?;
            format!(
                "0 {} {} {} {} {dow}",
                fields[0], fields[1], fields[2], fields[3]
            )
        }
        6 | 7 => {
            check_ranges(&fields, &SIX_FIELDS)
                .map_err(|e| format!("invalid cron expression `{expression}`: {e}"))?;
            fields.join(" ")
        }
        n => {
            return Err(format!(
                "invalid cron expression `{expression}`: expected 5 fields (minute hour day month weekday) or 6–7 (second minute hour day month weekday [year]), got {n}"
            ));
        }
    };
    cron::Schedule::from_str(&text).map_err(|e| {
        // the crate's message repeats the expression with a caret line; keep its last line
        let full = e.to_string();
        let msg = full
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(&full)
            .trim();
        let mut c = msg.chars();
        let msg: String = c
            .next()
            .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect());
        format!("invalid cron expression `{expression}`: {msg}")
    })
}

/// A cron field's name and the numbers it accepts.
type FieldRange = (&'static str, u32, u32);

/// The fields of a five-field expression.
const FIVE_FIELDS: [FieldRange; 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

/// The fields of a six- or seven-field (Quartz) expression; the year is
/// left to the cron crate.
const SIX_FIELDS: [FieldRange; 6] = [
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 1, 7),
];

/// Checks every number written in each field against the field's range,
/// so that `0 24 * * *` reads "hour `24` is out of range 0-23" rather than
/// the cron crate's own wording. Names, `*`, `?`, `L`, `W`, `#` and steps
/// are left to the crate.
fn check_ranges(fields: &[&str], ranges: &[FieldRange]) -> Result<(), String> {
    for (field, &(name, lo, hi)) in fields.iter().zip(ranges) {
        for item in field.split(',') {
            let range = item.split_once('/').map_or(item, |(r, _)| r);
            for part in range.split('-') {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let in_range = part.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v));
                if !in_range {
                    return Err(format!("{name} `{part}` is out of range {lo}-{hi}"));
                }
            }
        }
    }
    Ok(())
}

/// Maps a standard day-of-week field (0–7, Sunday 0 or 7) to the cron
/// crate's numbering (1–7, Sunday 1). Names, `*` and `?` pass through.
fn standard_day_of_week(field: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "invalid day of week `{field}`: use 0–7 (0 and 7 are Sunday), names (MON-FRI), `*` or `?`"
        )
    };
    let map = |n: &str| -> Result<u32, String> {
        match n.parse::<u32>() {
            Ok(v @ 0..=6) => Ok(v + 1),
            Ok(7) => Ok(1),
            _ => Err(bad()),
        }
    };
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let is_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let converted = match range.split_once('-') {
            Some((a, b)) if is_num(a) && is_num(b) => {
                let (a, b) = (
                    a.parse::<u32>().map_err(|_| bad())?,
                    b.parse::<u32>().map_err(|_| bad())?,
                );
                if a > b || b > 7 {
                    return Err(bad());
                }
                if b == 7 && step.is_none() {
                    // `5-7` is Friday..Sunday: Friday..Saturday, then Sunday
                    items.push("1".to_string());
                    if a == 7 {
                        continue;
                    }
                    format!("{}-7", a + 1)
                } else if b == 7 {
                    return Err(bad());
                } else {
                    format!("{}-{}", a + 1, b + 1)
                }
            }
            None if is_num(range) => map(range)?.to_string(),
            _ => range.to_string(),
        };
        items.push(match step {
            Some(s) => format!("{converted}/{s}"),
            None => converted,
        });
    }
    Ok(items.join(","))
}

/// A validated schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The schedule's name, unique in its manifest.
    pub name: String,
    /// The cron expression in its timezone.
    pub cron: CronSpec,
    /// Nodes to run (with their ancestors); `None` runs the whole pipeline.
    pub nodes: Option<Vec<String>>,
    /// The concurrency policy.
    pub concurrency_policy: ConcurrencyPolicy,
    /// The catch-up mode.
    pub catchup: Catchup,
    /// The starting deadline, if any.
    pub starting_deadline: Option<Duration>,
    /// Retries of a failed run.
    pub retries: RetryPolicy,
    /// Suspended in the manifest.
    pub suspend: bool,
}

/// A manifest that passed every check, with its schedules.
#[derive(Debug, Clone)]
pub struct ScheduledPipeline {
    /// The pipeline.
    pub pipeline: ValidatedPipeline,
    /// Its `spec.schedules`, in manifest order.
    pub schedules: Vec<Schedule>,
}

/// A problem found in `spec.schedules`, located by JSON pointer.
pub(crate) struct Problem {
    pub pointer: String,
    pub field: String,
    pub message: String,
}

/// Checks `spec.schedules` leniently from the raw document (the schema
/// reports wrong types); returns the schedules that are fully valid.
pub(crate) fn check(doc: &Value, node_ids: &[String]) -> (Vec<Schedule>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut schedules = Vec::new();
    let raw = doc
        .pointer("/spec/schedules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, s) in raw.iter().enumerate() {
        let base = format!("/spec/schedules/{i}");
        let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
        let mut ok = true;
        let mut problem = |key: &str, message: String| {
            problems.push(Problem {
                pointer: format!("{base}/{}", escape(key)),
                field: format!("schedules.{key}"),
                message: format!("schedule `{name}`: {message}"),
            });
        };
        if s.get("name").and_then(Value::as_str).is_some() {
            if let Some(first) = seen.get(name) {
                ok = false;
                problem(
                    "name",
                    format!(
                        "duplicate schedule name (also schedule {} of `spec.schedules`)",
                        first + 1
                    ),
                );
            } else {
                seen.insert(name.to_string(), i);
            }
        }
        let tz = s.get("timezone").and_then(Value::as_str).unwrap_or("UTC");
        let tz_ok = match parse_timezone(tz) {
            Ok(_) => true,
            Err(e) => {
                if s.get("timezone").is_some() {
                    problem("timezone", e);
                }
                false
            }
        };
        let spec = match s.get("cron").and_then(Value::as_str) {
            Some(expr) => match parse_cron(expr) {
                Ok(_) if tz_ok => CronSpec::parse(expr, tz).ok(),
                Ok(_) => None,
                Err(e) => {
                    problem("cron", e);
                    None
                }
            },
            None => None,
        };
        if let Some(nodes) = s.get("nodes").and_then(Value::as_array) {
            for (j, n) in nodes.iter().enumerate() {
                let Some(n) = n.as_str() else { continue };
                if !node_ids.iter().any(|id| id == n) {
                    ok = false;
                    let hint = suggest(n, node_ids.iter().map(String::as_str))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    problems.push(Problem {
                        pointer: format!("{base}/nodes/{j}"),
                        field: "schedules.nodes".into(),
                        message: format!(
                            "schedule `{name}`: unknown node `{n}` in `nodes`{hint} (allowed: {})",
                            node_ids.join(", ")
                        ),
                    });
                }
            }
        }
        let parsed: Option<ScheduleDoc> = serde_json::from_value(s.clone()).ok();
        if let (true, Some(spec), Some(d)) = (ok, spec, parsed) {
            schedules.push(Schedule {
                name: d.name,
                cron: spec,
                nodes: d.nodes,
                concurrency_policy: d.concurrency_policy,
                catchup: d.catchup,
                starting_deadline: d.starting_deadline_seconds.map(Duration::from_secs),
                retries: d.retries.map_or(
                    RetryPolicy {
                        limit: 0,
                        backoff: Duration::ZERO,
                    },
                    |r| RetryPolicy {
                        limit: r.limit,
                        backoff: Duration::from_secs_f64(r.backoff_seconds.clamp(0.0, 86400.0)),
                    },
                ),
                suspend: d.suspend,
            });
        }
    }
    (schedules, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(spec: &CronSpec, from: &str, n: usize) -> Vec<String> {
        let mut t = utc(from);
        let mut out = Vec::new();
        for _ in 0..n {
            t = spec.next_after(t).unwrap();
            out.push(spec.format(t));
        }
        out
    }

    #[test]
    fn five_fields_get_seconds_and_unix_weekdays() {
        let s = CronSpec::parse("30 2 * * 1-5", "UTC").unwrap();
        // 2024-06-01 is a Saturday: the next fires are Monday to Friday
        assert_eq!(
            next(&s, "2024-06-01T00:00:00Z", 3),
            [
                "2024-06-03T02:30:00+00:00",
                "2024-06-04T02:30:00+00:00",
                "2024-06-05T02:30:00+00:00"
            ]
        );
        let sun = CronSpec::parse("0 0 * * 0", "UTC").unwrap();
        assert_eq!(
            next(&sun, "2024-06-01T00:00:00Z", 1),
            ["2024-06-02T00:00:00+00:00"]
        );
        let weekend = CronSpec::parse("0 0 * * 6-7", "UTC").unwrap();
        assert_eq!(
            next(&weekend, "2024-05-31T00:00:00Z", 3),
            [
                "2024-06-01T00:00:00+00:00",
                "2024-06-02T00:00:00+00:00",
                "2024-06-08T00:00:00+00:00"
            ]
        );
    }

    #[test]
    fn spring_forward_skips_the_missing_hour() {
        let s = CronSpec::parse("0 30 2 * * *", "Europe/Berlin").unwrap();
        assert_eq!(
            next(&s, "2024-03-30T00:00:00Z", 3),
            [
                "2024-03-30T02:30:00+01:00",
                "2024-04-01T02:30:00+02:00",
                "2024-04-02T02:30:00+02:00"
            ]
        );
    }

    #[test]
    fn fall_back_fires_in_both_passes_in_instant_order() {
        let s = CronSpec::parse("0 30 2 * * *", "Europe/Berlin").unwrap();
        assert_eq!(
            next(&s, "2024-10-26T12:00:00Z", 3),
            [
                "2024-10-27T02:30:00+02:00",
                "2024-10-27T02:30:00+01:00",
                "2024-10-28T02:30:00+01:00"
            ]
        );
        let q = CronSpec::parse("0 */20 * * * *", "Europe/Berlin").unwrap();
        assert_eq!(
            next(&q, "2024-10-26T23:50:00Z", 8),
            [
                "2024-10-27T02:00:00+02:00",
                "2024-10-27T02:20:00+02:00",
                "2024-10-27T02:40:00+02:00",
                "2024-10-27T02:00:00+01:00",
                "2024-10-27T02:20:00+01:00",
                "2024-10-27T02:40:00+01:00",
                "2024-10-27T03:00:00+01:00",
                "2024-10-27T03:20:00+01:00"
            ]
        );
    }

    #[test]
    fn bad_expressions_and_zones_are_explained() {
        assert!(
            parse_cron("0 25 * * *")
                .unwrap_err()
                .contains("invalid cron expression")
        );
        assert!(parse_cron("* * *").unwrap_err().contains("got 3"));
        // each field's range in the engine's own words
        for (expr, why) in [
            ("0 24 * * *", "hour `24` is out of range 0-23"),
            ("0 0 24 * * *", "hour `24` is out of range 0-23"),
            ("60 * * * *", "minute `60` is out of range 0-59"),
            ("0 0 0 * *", "day of month `0` is out of range 1-31"),
            ("0 0 1 1-13 *", "month `13` is out of range 1-12"),
            ("0 0 0 * * 0", "day of week `0` is out of range 1-7"),
        ] {
            assert_eq!(
                parse_cron(expr).unwrap_err(),
                format!("invalid cron expression `{expr}`: {why}")
            );
        }
        assert!(parse_cron("0 0 23 31 12 1-7").is_ok());
        assert!(parse_cron("0 0 * * 8").unwrap_err().contains("day of week"));
        assert_eq!(
            parse_timezone("Asia/Shangai").unwrap_err(),
            "unknown timezone `Asia/Shangai`; did you mean `Asia/Shanghai`? (an IANA name such as `Asia/Shanghai` or `UTC`)"
        );
    }
}
