//! `pai-engine usage`: the month's metered requests and their cost, per
//! class, with a per-project breakdown.

use std::process::ExitCode;

use clap::ValueEnum;
use pai_store::{Bill, Billing, Store};

use crate::output::{print_json, print_table};

/// How the bill is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum BillFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// JSON, money as decimal strings.
    Json,
    /// CSV, one row per class, then the total.
    Csv,
}

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The month, `YYYY-MM` in the billing timezone (default: this month).
    #[arg(long)]
    month: Option<String>,
    /// Only this project's requests (the free tier stays the account's).
    #[arg(long)]
    project: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: BillFormat,
}

/// Prints the bill.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ws = super::workspace()?;
    // without a catalog nothing was metered, and reading creates nothing
    let store = if ws.catalog_path().is_file() {
        Some(Store::open(&ws)?)
    } else {
        None
    };
    let billing = match &store {
        Some(s) => s.billing.clone(),
        None => Billing::from_config(&ws.config).map_err(|message| {
            let path = ws.config_path.clone().unwrap_or_default();
            anyhow::anyhow!("`{}`: {message}", path.display())
        })?,
    };
    let month = match args.month {
        Some(m) => m,
        None => billing.month_of(pai_store::now()),
    };
    let (start, end) = billing.month_bounds(&month).map_err(anyhow::Error::msg)?;
    if let Some(p) = &args.project {
        pai_core::ProjectName::check(p)?;
    }
    let counts = match &store {
        Some(s) => s.usage.month_counts(&billing, start, end)?,
        None => Vec::new(),
    };
    let bill = Bill::new(&billing, &month, &counts, args.project.as_deref());
    match args.format {
        BillFormat::Json => print_json(&bill)?,
        BillFormat::Csv => print_csv(&bill),
        BillFormat::Table => print_bill(&bill, &billing),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_bill(bill: &Bill, billing: &Billing) {
    let scope = bill
        .project
        .as_deref()
        .map_or(String::new(), |p| format!(", project `{p}`"));
    println!(
        "usage for {} ({}{scope}); only succeeded requests are billed",
        bill.month, billing.timezone
    );
    let rows: Vec<Vec<String>> = bill
        .classes
        .iter()
        .map(|c| {
            vec![
                c.class.to_string(),
                c.requests.to_string(),
                c.free.to_string(),
                c.billable.to_string(),
                c.failed.to_string(),
                c.input_price.to_string(),
                c.output_price.to_string(),
                c.cost.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "CLASS", "REQUESTS", "FREE", "BILLABLE", "FAILED", "INPUT", "OUTPUT", "COST",
        ],
        &rows,
    );
    println!("total: {} {}", bill.total, bill.currency);
    if !bill.projects.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = bill
            .projects
            .iter()
            .map(|p| {
                vec![
                    p.project.clone(),
                    p.class.to_string(),
                    p.requests.to_string(),
                    p.free.to_string(),
                    p.billable.to_string(),
                    p.cost.to_string(),
                ]
            })
            .collect();
        print_table(
            &["PROJECT", "CLASS", "REQUESTS", "FREE", "BILLABLE", "COST"],
            &rows,
        );
    }
}

fn print_csv(bill: &Bill) {
    println!("month,class,requests,free,billable,failed,input_price,output_price,cost,currency");
    for c in &bill.classes {
        println!(
            "{},{},{},{},{},{},{},{},{},{}",
            bill.month,
            c.class,
            c.requests,
            c.free,
            c.billable,
            c.failed,
            c.input_price,
            c.output_price,
            c.cost,
            bill.currency
        );
    }
    println!(
        "{},total,,,,,,,{},{}",
        bill.month, bill.total, bill.currency
    );
}
