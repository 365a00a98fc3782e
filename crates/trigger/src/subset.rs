//! A pipeline restricted to some nodes and their ancestors (a schedule's
//! `nodes`).

use std::collections::BTreeSet;

use pai_manifest::ValidatedPipeline;

/// `pipeline` with only `keep` and every node they depend on, in manifest
/// order; unknown names are ignored (validation rejects them).
pub fn restrict(pipeline: &ValidatedPipeline, keep: &[String]) -> ValidatedPipeline {
    let mut wanted: BTreeSet<usize> = BTreeSet::new();
    let mut stack: Vec<usize> = keep.iter().filter_map(|k| pipeline.index_of(k)).collect();
    while let Some(i) = stack.pop() {
        if wanted.insert(i) {
            stack.extend(pipeline.nodes[i].upstream.iter().copied());
        }
    }
    let new_index: Vec<Option<usize>> = {
        let mut next = 0;
        (0..pipeline.nodes.len())
            .map(|i| {
                wanted.contains(&i).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    };
    let mut out = pipeline.clone();
    out.nodes = pipeline
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(_, n)| {
            let mut n = n.clone();
            n.upstream = n.upstream.iter().filter_map(|u| new_index[*u]).collect();
            for e in &mut n.inputs {
                e.from = new_index[e.from].unwrap_or(e.from);
            }
            n
        })
        .collect();
    out.order = pipeline
        .order
        .iter()
        .filter_map(|i| new_index[*i])
        .collect();
    out
}
