//! The `pai-engine` command line.

mod cmd;
mod git;
mod output;
mod progress;
mod report;
mod signals;
mod summary;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// pai-engine: PAI-style ML pipelines as code — validate, run and inspect them.
#[derive(Debug, Parser)]
#[command(name = "pai-engine", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More logging (-v info, -vv debug); `RUST_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate manifests; report every problem with file:line:column.
    Validate(cmd::validate::Args),
    /// Run a pipeline manifest.
    Run(cmd::run::Args),
    /// Print the JSON Schema of manifests.
    Schema,
    /// Inspect recorded runs.
    #[command(subcommand)]
    Runs(cmd::runs::RunsCommand),
    /// Print a pipeline's DAG as Graphviz DOT or Mermaid.
    Graph(cmd::info::GraphArgs),
    /// List the components, or describe one.
    Components(cmd::info::ComponentsArgs),
    /// Score data with PMML models written by any producer.
    #[command(subcommand)]
    Pmml(cmd::pmml::PmmlCommand),
    /// OfflineModels: list, show, copy and export them.
    #[command(subcommand)]
    Models(cmd::models::ModelsCommand),
    /// Look into OSS buckets.
    #[command(subcommand)]
    Oss(cmd::oss::OssCommand),
    /// Run the online serving process (EAS predict API, KServe V2, admin API).
    Serve(cmd::serve::Args),
    /// Manage online prediction services.
    Services(cmd::services::Args),
    /// Package selected pipeline nodes as one deployable pipeline model.
    PipelineModel(cmd::pipeline_model::Args),
    /// Cron schedules: preview, run, list, trigger, backfill.
    Schedule(cmd::schedule::Args),
    /// The month's billable requests and their cost.
    Usage(cmd::usage::Args),
    /// Create a workspace: `pai-engine.toml`, an example pipeline, its data and the schema.
    Init(cmd::init::Args),
    /// Print shell completions (bash, zsh or fish).
    Completions(cmd::completions::Args),
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = parse_cli();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(&a),
        Command::Run(a) => cmd::run::run(a),
        Command::Schema => cmd::info::schema(),
        Command::Runs(c) => cmd::runs::run(c),
        Command::Graph(a) => cmd::info::graph(&a),
        Command::Components(a) => cmd::info::components(&a),
        Command::Pmml(c) => cmd::pmml::run(c),
        Command::Models(c) => cmd::models::run(c),
        Command::Oss(c) => cmd::oss::run(c),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Services(a) => cmd::services::run(a),
        Command::PipelineModel(a) => cmd::pipeline_model::run(a),
        Command::Schedule(a) => cmd::schedule::run(a),
        Command::Usage(a) => cmd::usage::run(a),
        Command::Init(a) => cmd::init::run(&a),
        Command::Completions(a) => cmd::completions::run(&a, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", crate::report::Report(&e));
            ExitCode::from(2)
        }
    }
}

/// Whether stderr may carry colours: it is a terminal and `NO_COLOR` is
/// unset (or empty), as <https://no-color.org> asks.
pub fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Parses the command line; help and errors are coloured only when
/// [`colour_on_stderr`] allows.
fn parse_cli() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let colour = if colour_on_stderr() {
        clap::ColorChoice::Auto
    } else {
        clap::ColorChoice::Never
    };
    let matches = Cli::command().color(colour).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_on_stderr())
        .with_target(false)
        .init();
}

/// Ends the process quietly, with success, when a reader of its standard
/// output goes away (`pai-engine runs list | head -1`): `println!` panics
/// on the broken pipe, and that panic is not an error of the command. Every
/// other panic keeps the default report.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
