//! What a run produced, in a few lines: the headline metrics each node
//! reported (AUC, KS, accuracy, F1, RMSE, R², Gini, …) and where its results
//! are (files it wrote, objects it exported, outputs of its final nodes).

use pai_store::NodeRecord;
use serde_json::Value;

/// The metrics worth a headline, in display order, with their labels.
const HEADLINE: &[(&str, &str)] = &[
    ("auc", "AUC"),
    ("ks", "KS"),
    ("accuracy", "accuracy"),
    ("f1", "F1"),
    ("macro_f1", "macro F1"),
    ("rmse", "RMSE"),
    ("mae", "MAE"),
    ("r2", "R²"),
    ("gini", "Gini"),
];

/// At most this many metrics per node.
const PER_NODE: usize = 4;

/// At most this many result lines; the rest are counted.
const MAX_RESULTS: usize = 8;

/// `AUC 0.9912  KS 0.8731` from a node's metrics, or `None` when it
/// reported none of the headline metrics. Metrics one level down (such as
/// `fields.income.gini`) are named by their parent key.
pub fn headline(metrics: Option<&Value>) -> Option<String> {
    let obj = metrics?.as_object()?;
    let mut parts: Vec<String> = HEADLINE
        .iter()
        .filter_map(|(key, label)| Some(format!("{label} {}", number(obj.get(*key)?)?)))
        .collect();
    if parts.is_empty() {
        for inner in obj.values().filter_map(Value::as_object) {
            for (name, m) in inner {
                let Some(m) = m.as_object() else { continue };
                parts.extend(HEADLINE.iter().filter_map(|(key, label)| {
                    Some(format!("{name} {label} {}", number(m.get(*key)?)?))
                }));
            }
        }
    }
    parts.truncate(PER_NODE);
    (!parts.is_empty()).then(|| parts.join("  "))
}

fn number(v: &Value) -> Option<String> {
    let x = v.as_f64()?;
    Some(if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    })
}

/// Where a node's results are: files it wrote (`path` in its metrics),
/// objects it exported (`exported`), rendered files (plots) it output,
/// and, when it is a final node, all its outputs.
pub fn results(node: &NodeRecord, is_final: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = node.metrics.as_ref().and_then(Value::as_object) {
        if let Some(p) = m.get("path").and_then(Value::as_str) {
            out.push(p.to_string());
        }
        if let Some(list) = m.get("exported").and_then(Value::as_array) {
            out.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    out.extend(
        node.outputs
            .iter()
            .filter(|a| is_final || a.kind == pai_core::PortType::File)
            .map(|a| match a.kind.to_string() {
                kind if kind == a.port => format!("{}: {}", a.port, a.path.display()),
                kind => format!("{} ({kind}): {}", a.port, a.path.display()),
            }),
    );
    out
}

/// The summary lines of a run's nodes: the `metrics:` section, then the
/// `results:` one (see [`result_lines`]).
pub fn lines(nodes: &[NodeRecord], is_final: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = metric_lines(nodes);
    out.extend(result_lines(nodes, is_final));
    out
}

/// The width of the node column.
fn width(nodes: &[NodeRecord]) -> usize {
    nodes
        .iter()
        .map(|n| n.node_id.chars().count())
        .max()
        .unwrap_or(0)
}

/// `metrics:` and one line per node with headline metrics; empty when no
/// node reported any.
pub fn metric_lines(nodes: &[NodeRecord]) -> Vec<String> {
    let width = width(nodes);
    let metrics: Vec<String> = nodes
        .iter()
        .filter_map(|n| {
            Some(format!(
                "  {:<width$}  {}",
                n.node_id,
                headline(n.metrics.as_ref())?
            ))
        })
        .collect();
    if metrics.is_empty() {
        return metrics;
    }
    std::iter::once("metrics:".to_string())
        .chain(metrics)
        .collect()
}

/// `results:` and one line per result of a succeeded node (at most
/// [`MAX_RESULTS`], then a count of the rest); empty when there is none.
/// `is_final` tells the final nodes (no downstream node) by id.
pub fn result_lines(nodes: &[NodeRecord], is_final: &dyn Fn(&str) -> bool) -> Vec<String> {
    let width = width(nodes);
    let results: Vec<String> = nodes
        .iter()
        .filter(|n| n.state == pai_core::NodeState::Succeeded)
        .flat_map(|n| {
            results(n, is_final(&n.node_id))
                .into_iter()
                .map(move |r| format!("  {:<width$}  {r}", n.node_id))
        })
        .collect();
    if results.is_empty() {
        return results;
    }
    let more = results.len().saturating_sub(MAX_RESULTS);
    let mut out = vec!["results:".to_string()];
    out.extend(results.into_iter().take(MAX_RESULTS));
    if more > 0 {
        out.push(format!(
            "  … and {}",
            plural(more, "more result", "more results")
        ));
    }
    out
}

/// A node's state as the run and `runs show` print it: `(reused)` marks a
/// node whose outputs came from the resumed run.
pub fn state_label(n: &pai_store::NodeRecord) -> String {
    let mut state = n.state.to_string();
    if n.reused_from.is_some() {
        state.push_str(" (reused)");
    }
    state
}

/// `1 node`, `2 nodes`: a count with the right form of its noun.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn headlines_pick_a_few_known_metrics() {
        let m =
            json!({"auc": 0.99123, "ks": 0.8, "rows": 150, "accuracy": 1, "f1": 0.5, "rmse": 2.0});
        assert_eq!(
            headline(Some(&m)).unwrap(),
            "AUC 0.9912  KS 0.8000  accuracy 1  F1 0.5000"
        );
        assert_eq!(headline(Some(&json!({"rows": 3}))), None);
        let nested = json!({"fields": {"income": {"gini": 0.25, "count": 9}}});
        assert_eq!(headline(Some(&nested)).unwrap(), "income Gini 0.2500");
        assert_eq!(plural(1, "node", "nodes"), "1 node");
        assert_eq!(plural(0, "node", "nodes"), "0 nodes");
    }
}
