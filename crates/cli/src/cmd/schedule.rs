//! `pai-engine schedule`: cron triggers: preview the next fires, run the
//! trigger, list, fire by hand, backfill, suspend and resume.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use pai_manifest::CronSpec;
use pai_store::{FireRecord, ScheduleCatalog, ScheduleRow, SqliteCatalog};
use pai_trigger::{Firing, RunResult, ScheduleDef, SystemClock};
use serde::Serialize;

use crate::output::{Format, print_json, print_table};

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ScheduleCommand,
}

/// The `schedule` subcommands.
#[derive(Debug, clap::Subcommand)]
enum ScheduleCommand {
    /// Print the next fire times of a manifest's schedules (RFC 3339 with the timezone's offset).
    Next {
        /// The manifest.
        file: PathBuf,
        /// Fire times per schedule.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Start after this time (RFC 3339, or `YYYY-MM-DD[THH:MM:SS]` in the schedule's timezone); default now.
        #[arg(long, value_name = "ISO-8601")]
        from: Option<String>,
        /// Only this schedule.
        #[arg(long)]
        schedule: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run the trigger: fire the schedules of these manifests (files or directories) until Ctrl-C; edits are picked up within a second.
    Run {
        /// Manifest files or directories of manifests.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Each schedule's last fire, next fire, state and last run result; only reads (registers nothing).
    List {
        /// Manifests whose schedules to list too (files or directories; default: the workspace's `pipelines/`).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Fire one slot by hand and wait for its run.
    Trigger {
        /// The schedule: `NAME` or `PIPELINE/NAME`.
        name: String,
        /// The slot (RFC 3339, or `YYYY-MM-DD[THH:MM:SS]` in the schedule's timezone); default now.
        #[arg(long, value_name = "ISO-8601")]
        slot: Option<String>,
        /// Manifests to register first (files or directories).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
    },
    /// Run every slot in a range, oldest first, honouring the concurrency policy.
    Backfill {
        /// The schedule: `NAME` or `PIPELINE/NAME`.
        name: String,
        /// The first time (a date means its midnight).
        #[arg(long, value_name = "D1")]
        from: String,
        /// The last time (a date means its whole day).
        #[arg(long, value_name = "D2")]
        to: String,
        /// Manifests to register first (files or directories).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
    },
    /// Stop firing a schedule.
    Suspend {
        /// The schedule: `NAME` or `PIPELINE/NAME`.
        name: String,
        /// Manifests to register first (files or directories).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
    },
    /// Fire a suspended schedule again, from now (the slots it skipped are recorded as skipped).
    Resume {
        /// The schedule: `NAME` or `PIPELINE/NAME`.
        name: String,
        /// Manifests to register first (files or directories).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
    },
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        ScheduleCommand::Next {
            file,
            count,
            from,
            schedule,
            format,
        } => next(&file, count, from.as_deref(), schedule.as_deref(), format),
        ScheduleCommand::Run { paths } => run_trigger(paths),
        ScheduleCommand::List { files, format } => list(&files, format),
        ScheduleCommand::Trigger { name, slot, files } => trigger(&name, slot.as_deref(), &files),
        ScheduleCommand::Backfill {
            name,
            from,
            to,
            files,
        } => backfill(&name, &from, &to, &files),
        ScheduleCommand::Suspend { name, files } => suspend(&name, &files, true),
        ScheduleCommand::Resume { name, files } => suspend(&name, &files, false),
    }
}

/// A time given on the command line: RFC 3339, or local to `tz`.
/// `end_of_day` reads a bare date as its last millisecond.
fn parse_time(text: &str, tz: Tz, end_of_day: bool) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        if end_of_day {
            day + chrono::TimeDelta::days(1) - chrono::TimeDelta::milliseconds(1)
        } else {
            day
        }
    } else if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        t
    } else if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        t
    } else {
        bail!(
            "cannot read the time `{text}`: write RFC 3339 (`2024-03-30T02:00:00+01:00`), `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD` (in the schedule's timezone)"
        );
    };
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            Ok(t.with_timezone(&Utc))
        }
        chrono::LocalResult::None => {
            bail!("`{text}` does not exist in `{tz}` (a daylight-saving gap)")
        }
    }
}

#[derive(Serialize)]
struct NextFire {
    schedule: String,
    time: String,
}

fn next(
    file: &std::path::Path,
    count: usize,
    from: Option<&str>,
    only: Option<&str>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let sp = match pai_manifest::load_scheduled(file, None) {
        Ok(sp) => sp,
        Err(e) => {
            for d in &e.0 {
                eprintln!("error: {d}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(name) = only
        && !sp.schedules.iter().any(|s| s.name == name)
    {
        bail!("`{}` has no schedule `{name}`", file.display());
    }
    let mut fires: Vec<(DateTime<Utc>, usize, NextFire)> = Vec::new();
    for (i, s) in sp.schedules.iter().enumerate() {
        if only.is_some_and(|n| n != s.name) {
            continue;
        }
        let mut t = match from {
            Some(f) => parse_time(f, s.cron.timezone(), false)?,
            None => Utc::now(),
        };
        for _ in 0..count {
            let Some(n) = s.cron.next_after(t) else { break };
            fires.push((
                n,
                i,
                NextFire {
                    schedule: s.name.clone(),
                    time: s.cron.format(n),
                },
            ));
            t = n;
        }
    }
    fires.sort_by_key(|f| (f.0, f.1));
    let fires: Vec<NextFire> = fires.into_iter().map(|f| f.2).collect();
    match format {
        Format::Json => print_json(&fires)?,
        Format::Table => {
            if sp.schedules.is_empty() {
                eprintln!("`{}` has no schedules", file.display());
            }
            for f in &fires {
                println!("{} {}", f.schedule, f.time);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_trigger(paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Before the start-up work: an interrupt while the catalog is opened
    // stops the trigger as soon as it runs, instead of killing it.
    let mut interrupts = {
        let _runtime = runtime.enter();
        crate::signals::Interrupts::install()?
    };
    let ws = super::workspace()?;
    let services: pai_core::Services = Arc::new(pai_store::Store::open(&ws)?);
    let git: pai_trigger::GitDescribe = Arc::new(|p: &std::path::Path| crate::git::describe(p));
    // `services` owns a runtime of its own: keep a clone so that its last
    // drop happens here, outside the async context
    let trigger = pai_trigger::workspace_trigger(&ws, paths, Some(services.clone()), Some(git))?;
    runtime.block_on(async {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if interrupts.next().await {
                eprintln!("stopping: cancelling the runs this trigger started");
                let _ = stop_tx.send(true);
                if interrupts.next().await {
                    std::process::exit(130);
                }
            }
            // keep the sender alive until the signal
            std::future::pending::<()>().await;
        });
        eprintln!("trigger running; Ctrl-C stops it");
        trigger.run(stop_rx).await
    })?;
    drop(runtime);
    drop(services);
    Ok(ExitCode::SUCCESS)
}

/// The workspace catalog, with `files` (manifests or directories) registered.
fn catalog_with(files: &[PathBuf]) -> anyhow::Result<(pai_store::Workspace, Arc<SqliteCatalog>)> {
    let ws = super::workspace()?;
    let catalog = Arc::new(ws.catalog()?);
    let mut regs = Vec::new();
    for path in expand(files)? {
        match pai_trigger::load_defs(&path) {
            Ok(defs) => regs.extend(defs.iter().map(ScheduleDef::registration)),
            Err(pai_trigger::TriggerError::Manifest(e)) => {
                for d in &e.0 {
                    eprintln!("error: {d}");
                }
                bail!("`{}` is not a valid manifest", path.display());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !regs.is_empty() {
        catalog.register_schedules(&regs, Utc::now().timestamp_millis())?;
    }
    Ok((ws, catalog))
}

fn expand(files: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(f)
                .with_context(|| format!("cannot list `{}`", f.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(f.clone());
        }
    }
    Ok(out)
}

/// The registered schedule `name` (`NAME` or `PIPELINE/NAME`).
fn resolve(catalog: &SqliteCatalog, name: &str) -> anyhow::Result<ScheduleRow> {
    let rows = catalog.schedules()?;
    if let Some(r) = rows.iter().find(|r| r.id == name) {
        return Ok(r.clone());
    }
    let matches: Vec<&ScheduleRow> = rows.iter().filter(|r| r.name == name).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(pai_trigger::TriggerError::UnknownSchedule(name.to_string()).into()),
        many => Err(pai_trigger::TriggerError::AmbiguousSchedule {
            name: name.to_string(),
            matches: many
                .iter()
                .map(|r| format!("`{}`", r.id))
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

/// The schedule of a registered row, read from its manifest now.
fn definition(row: &ScheduleRow) -> anyhow::Result<Arc<ScheduleDef>> {
    let path = PathBuf::from(&row.manifest_path);
    let defs = pai_trigger::load_defs(&path)?;
    defs.into_iter()
        .find(|d| d.id == row.id)
        .map(Arc::new)
        .with_context(|| {
            format!(
                "`{}` no longer has schedule `{}`",
                row.manifest_path, row.name
            )
        })
}

fn firing(ws: &pai_store::Workspace, catalog: Arc<SqliteCatalog>) -> anyhow::Result<Firing> {
    let services: pai_core::Services = Arc::new(pai_store::Store::open(ws)?);
    let launcher = pai_trigger::PipelineLauncher::new(
        catalog.clone(),
        ws.state_dir.clone(),
        ws.default_project().to_string(),
    )
    .with_services(services)
    .with_git(Arc::new(|p: &std::path::Path| crate::git::describe(p)));
    Ok(Firing {
        catalog,
        launcher: Arc::new(launcher),
        clock: Arc::new(SystemClock),
        holder: format!("cli-{}", pai_trigger::holder_id()),
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn describe(def: &ScheduleDef, o: &pai_trigger::FireOutcome) -> (String, bool) {
    let slot = def.schedule.cron.format(o.slot);
    let runs = o.run_ids.join(", ");
    match &o.result {
        None => (format!("{slot}: already fired, not run again"), true),
        Some(RunResult::Succeeded) => (format!("{slot}: succeeded (run {runs})"), true),
        Some(RunResult::Cancelled) => (format!("{slot}: cancelled (run {runs})"), false),
        Some(RunResult::Failed(e)) => {
            let word = if o.run_ids.len() == 1 { "run" } else { "runs" };
            (format!("{slot}: failed ({word} {runs}): {e}"), false)
        }
    }
}

fn trigger(name: &str, slot: Option<&str>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let (ws, catalog) = catalog_with(files)?;
    let row = resolve(&catalog, name)?;
    let def = definition(&row)?;
    let tz = def.schedule.cron.timezone();
    let slot = match slot {
        Some(s) => parse_time(s, tz, false)?,
        None => {
            let now = Utc::now();
            Utc.timestamp_opt(now.timestamp(), 0)
                .single()
                .unwrap_or(now)
        }
    };
    let firing = firing(&ws, catalog)?;
    let outcome = runtime()?.block_on(firing.fire(def.clone(), slot, "manual"))?;
    let (line, ok) = describe(&def, &outcome);
    println!("{} {line}", def.id);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn backfill(name: &str, from: &str, to: &str, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let (ws, catalog) = catalog_with(files)?;
    let row = resolve(&catalog, name)?;
    let def = definition(&row)?;
    let tz = def.schedule.cron.timezone();
    let (from, to) = (parse_time(from, tz, false)?, parse_time(to, tz, true)?);
    if to < from {
        bail!("`--to` is before `--from`");
    }
    let firing = firing(&ws, catalog)?;
    let outcomes = runtime()?.block_on(firing.backfill(def.clone(), from, to))?;
    if outcomes.is_empty() {
        eprintln!("no slot of `{}` lies in that range", def.id);
    }
    let mut all_ok = true;
    for o in &outcomes {
        let (line, ok) = describe(&def, o);
        all_ok &= ok;
        println!("{} {line}", def.id);
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn suspend(name: &str, files: &[PathBuf], suspend: bool) -> anyhow::Result<ExitCode> {
    let (_ws, catalog) = catalog_with(files)?;
    let row = resolve(&catalog, name)?;
    if suspend {
        catalog.suspend_schedule(&row.id)?;
        println!("{}: suspended", row.id);
        return Ok(ExitCode::SUCCESS);
    }
    let def = definition(&row)?;
    let now = Utc::now();
    let last = Utc
        .timestamp_millis_opt(row.last_slot_ms)
        .single()
        .unwrap_or(now);
    let skipped = if row.suspended {
        pai_trigger::skipped_range(&def, last, now)
    } else {
        None
    };
    catalog.resume_schedule(&row.id, "cli", now.timestamp_millis(), skipped.as_ref())?;
    if def.schedule.suspend {
        eprintln!(
            "warning: `{}` still has `suspend: true`; it fires once the manifest says `suspend: false`",
            row.manifest_path
        );
    }
    println!(
        "{}: resumed{}",
        row.id,
        skipped.map_or(String::new(), |s| format!(
            " ({} slot{} skipped while suspended)",
            s.count,
            if s.count == 1 { "" } else { "s" }
        ))
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ListRow {
    schedule: String,
    cron: String,
    timezone: String,
    state: String,
    last_fire: Option<FireRecord>,
    last_run: Option<FireRecord>,
    next_fire: Option<String>,
}

/// The schedules of `files`, or by default of the workspace's
/// `pipelines/` directory, read without registering them. An invalid
/// manifest named on the command line is an error; one found in the
/// directory is skipped with a warning.
fn manifest_defs(ws: &pai_store::Workspace, files: &[PathBuf]) -> anyhow::Result<Vec<ScheduleDef>> {
    let explicit = !files.is_empty();
    let paths = if explicit {
        expand(files)?
    } else {
        let root = match ws.config_path.as_ref().and_then(|p| p.parent()) {
            Some(dir) => dir.to_path_buf(),
            None => std::env::current_dir().context("cannot read the current directory")?,
        };
        let dir = root.join("pipelines");
        if dir.is_dir() {
            expand(&[dir])?
        } else {
            Vec::new()
        }
    };
    let mut defs = Vec::new();
    for path in paths {
        match pai_trigger::load_defs(&path) {
            Ok(d) => defs.extend(d),
            Err(pai_trigger::TriggerError::Manifest(e)) if explicit => {
                for d in &e.0 {
                    eprintln!("error: {d}");
                }
                bail!("`{}` is not a valid manifest", path.display());
            }
            Err(pai_trigger::TriggerError::Manifest(_)) => eprintln!(
                "warning: skipped `{0}`: not a valid manifest (`pai-engine validate {0}` says why)",
                path.display()
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(defs)
}

/// Lists the registered schedules and those of the workspace's manifests;
/// it only reads: nothing is registered and no catalog is created.
fn list(files: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    let catalog = ws.existing_catalog()?;
    let defs = manifest_defs(&ws, files)?;
    let registered = match &catalog {
        Some(c) => c.schedules()?,
        None => Vec::new(),
    };
    let now = Utc::now();
    let mut out = Vec::new();
    for def in defs
        .iter()
        .filter(|d| registered.iter().all(|r| r.id != d.id))
    {
        let cron = &def.schedule.cron;
        out.push(ListRow {
            schedule: def.id.clone(),
            cron: cron.expression().to_string(),
            timezone: cron.timezone().name().to_string(),
            state: if def.schedule.suspend {
                "not registered, suspended (manifest)".into()
            } else {
                "not registered".into()
            },
            last_fire: None,
            last_run: None,
            next_fire: cron.next_after(now).map(|n| cron.format(n)),
        });
    }
    let Some(catalog) = catalog else {
        return print_list(out, format);
    };
    for row in registered {
        let fires = catalog.fires(Some(&row.id), 200)?;
        let last_fire = fires.first().cloned();
        let last_run = fires.iter().find(|f| f.run_id.is_some()).cloned();
        let manifest_suspended = pai_trigger::load_defs(std::path::Path::new(&row.manifest_path))
            .ok()
            .and_then(|defs| defs.into_iter().find(|d| d.id == row.id))
            .map(|d| d.schedule.suspend);
        let state = match (row.suspended, manifest_suspended) {
            (_, None) => "manifest missing",
            (true, _) => "suspended",
            (false, Some(true)) => "suspended (manifest)",
            (false, Some(false)) => "active",
        };
        let next_fire = CronSpec::parse(&row.cron, &row.timezone)
            .ok()
            .and_then(|c| {
                let after = now.max(
                    Utc.timestamp_millis_opt(row.last_slot_ms)
                        .single()
                        .unwrap_or(now),
                );
                c.next_after(after).map(|n| c.format(n))
            });
        out.push(ListRow {
            schedule: row.id.clone(),
            cron: row.cron.clone(),
            timezone: row.timezone.clone(),
            state: state.into(),
            last_fire,
            last_run,
            next_fire,
        });
    }
    print_list(out, format)
}

fn print_list(mut out: Vec<ListRow>, format: Format) -> anyhow::Result<ExitCode> {
    out.sort_by(|a, b| a.schedule.cmp(&b.schedule));
    match format {
        Format::Json => print_json(&out)?,
        Format::Table if out.is_empty() => {
            eprintln!(
                "no schedules: add `spec.schedules` to a manifest in `pipelines/`, or name manifests with `-f`"
            );
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = out
                .iter()
                .map(|r| {
                    vec![
                        r.schedule.clone(),
                        r.cron.clone(),
                        r.timezone.clone(),
                        r.state.clone(),
                        r.last_fire
                            .as_ref()
                            .map_or("-".into(), |f| format!("{} {}", f.slot, f.state)),
                        r.next_fire.clone().unwrap_or_else(|| "-".into()),
                        r.last_run.as_ref().map_or("-".into(), |f| {
                            format!("{} ({})", f.state, f.run_id.as_deref().unwrap_or(""))
                        }),
                    ]
                })
                .collect();
            print_table(
                &[
                    "SCHEDULE",
                    "CRON",
                    "TIMEZONE",
                    "STATE",
                    "LAST FIRE",
                    "NEXT FIRE",
                    "LAST RESULT",
                ],
                &rows,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
