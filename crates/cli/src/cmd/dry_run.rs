//! `pai-engine run --dry-run`: the plan of a run — the nodes it would
//! execute, in order, and the billable requests with their estimated cost
//! given this month's usage so far. It changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use pai_core::{NodeState, UsageClass};
use pai_manifest::ValidatedPipeline;
use pai_store::{Billing, Catalog, UsageLedger};

use crate::output::print_table;

/// Prints the plan of `pipeline` in `project`; `reused` are nodes a
/// `--resume` would take from the earlier run.
pub fn print_plan(
    billing: &Billing,
    usage: Option<&dyn UsageLedger>,
    pipeline: &ValidatedPipeline,
    project: &str,
    reused: &BTreeSet<String>,
) -> anyhow::Result<ExitCode> {
    let mut planned: BTreeMap<UsageClass, u64> = BTreeMap::new();
    let mut rows = Vec::new();
    for (step, &i) in pipeline.order.iter().enumerate() {
        let node = &pipeline.nodes[i];
        let info = node.config.info();
        let reuse = reused.contains(&node.id);
        let billing = match (info.billing, reuse) {
            (Some(class), false) => {
                *planned.entry(class).or_insert(0) += 1;
                class.to_string()
            }
            _ => "-".into(),
        };
        rows.push(vec![
            (step + 1).to_string(),
            node.id.clone(),
            info.name.to_string(),
            if reuse { "reuse" } else { "run" }.to_string(),
            billing,
        ]);
    }
    println!(
        "plan of `{}` in project `{project}`: {}",
        pipeline.name,
        crate::summary::plural(pipeline.nodes.len(), "node", "nodes")
    );
    print_table(&["STEP", "NODE", "COMPONENT", "ACTION", "BILLABLE"], &rows);
    let month = billing.month_of(pai_store::now());
    let (start, end) = billing.month_bounds(&month).map_err(anyhow::Error::msg)?;
    // without a ledger nothing was metered yet
    let counts = match usage {
        Some(u) => u.month_counts(billing, start, end)?,
        None => Vec::new(),
    };
    let so_far = pai_store::succeeded_by_class(&counts);
    let estimate = pai_store::estimate(billing, &so_far, &planned);
    println!();
    if estimate.is_empty() {
        println!("no billable requests");
    } else {
        let mut total = pai_store::Money::ZERO;
        let rows: Vec<Vec<String>> = estimate
            .iter()
            .map(|(class, n, free, billable, cost)| {
                total = total + *cost;
                vec![
                    class.to_string(),
                    so_far.get(class).copied().unwrap_or(0).to_string(),
                    n.to_string(),
                    free.to_string(),
                    billable.to_string(),
                    cost.to_string(),
                ]
            })
            .collect();
        println!("billable requests ({month}, if every node succeeds once):");
        print_table(
            &[
                "CLASS",
                "USED THIS MONTH",
                "REQUESTS",
                "FREE",
                "BILLABLE",
                "ESTIMATED COST",
            ],
            &rows,
        );
        println!("estimated cost: {total} {}", billing.currency);
    }
    println!("dry run: nothing was run or changed");
    Ok(ExitCode::SUCCESS)
}

/// The nodes that succeeded in `run_id` (what `--resume` reuses).
pub fn succeeded_nodes(catalog: &dyn Catalog, run_id: &str) -> anyhow::Result<BTreeSet<String>> {
    let run = catalog.get_run(run_id)?;
    Ok(catalog
        .node_runs(&run.id)?
        .into_iter()
        .filter(|n| n.state == NodeState::Succeeded)
        .map(|n| n.node_id)
        .collect())
}
