//! Metering from a node: billable components either hand the store a
//! meter (copies and exports, whose effect commits in the store's own
//! transaction) or report the request with the node (reads and
//! evaluations, whose effect is the node's output).

use pai_core::{Result, RunContext, UsageClass, UsageEntry};

use crate::offline_model::{store, store_error};

/// Runs `effect` with a meter for one `class` request by this node; a
/// failure is recorded (not billed) at once.
pub fn with_meter<T>(
    ctx: &RunContext,
    class: UsageClass,
    operation: &str,
    effect: impl FnOnce(Option<&pai_store::Meter<'_>>) -> std::result::Result<T, pai_store::StoreError>,
) -> Result<T> {
    let entry = UsageEntry {
        class,
        operation: operation.to_string(),
        context: ctx.usage_context(),
        succeeded: true,
    };
    store(ctx)?
        .metered(&entry, |m| effect(Some(m)))
        .map_err(store_error)
}

/// Checks the budget, then reports one `class` request that succeeds
/// exactly when this attempt does. Without a workspace store (a bare
/// scheduler in tests) nothing is metered.
pub fn meter_node(ctx: &RunContext, class: UsageClass, operation: &str) -> Result<()> {
    let Ok(st) = store(ctx) else {
        return Ok(());
    };
    st.usage
        .check_budget(&st.billing, class, operation, pai_store::now())
        .map_err(store_error)?;
    ctx.meter(class, operation);
    Ok(())
}
