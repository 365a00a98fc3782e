//! The DAG of a pipeline: topological order and cycle reporting.

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::DiGraph;

/// A topological order of `n` nodes with the given `(from, to)` edges, or
/// one cycle as a list of node indices whose last element equals the first.
pub fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
    let mut g = DiGraph::<(), ()>::with_capacity(n, edges.len());
    let ids: Vec<_> = (0..n).map(|_| g.add_node(())).collect();
    for &(a, b) in edges {
        g.add_edge(ids[a], ids[b], ());
    }
    match toposort(&g, None) {
        Ok(order) => Ok(order.into_iter().map(|i| i.index()).collect()),
        Err(_) => Err(find_cycle(n, edges, &g)),
    }
}

/// A cycle inside the first strongly connected component that has one.
fn find_cycle(n: usize, edges: &[(usize, usize)], g: &DiGraph<(), ()>) -> Vec<usize> {
    let self_loop = edges.iter().find(|(a, b)| a == b);
    if let Some(&(a, _)) = self_loop {
        return vec![a, a];
    }
    let mut sccs = tarjan_scc(g);
    sccs.retain(|c| c.len() > 1);
    let Some(scc) = sccs
        .into_iter()
        .min_by_key(|c| c.iter().map(|i| i.index()).min())
    else {
        return Vec::new();
    };
    let in_scc: Vec<bool> = (0..n).map(|i| scc.iter().any(|x| x.index() == i)).collect();
    let start = scc.iter().map(|i| i.index()).min().unwrap_or(0);
    // walk successors inside the component until a node repeats
    let mut path = vec![start];
    let mut seen = vec![usize::MAX; n];
    seen[start] = 0;
    let mut cur = start;
    loop {
        let Some(&(_, next)) = edges
            .iter()
            .filter(|(a, b)| *a == cur && in_scc[*b])
            .min_by_key(|(_, b)| *b)
        else {
            return path;
        };
        if seen[next] != usize::MAX {
            let mut cycle = path[seen[next]..].to_vec();
            cycle.push(next);
            return cycle;
        }
        seen[next] = path.len();
        path.push(next);
        cur = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_finds_cycles() {
        let o = order(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]).unwrap();
        let pos = |x| o.iter().position(|&i| i == x).unwrap();
        assert!(pos(0) < pos(1) && pos(1) < pos(3) && pos(2) < pos(3));
        assert_eq!(
            order(3, &[(0, 1), (1, 2), (2, 1)]).unwrap_err(),
            vec![1, 2, 1]
        );
        assert_eq!(order(2, &[(1, 1)]).unwrap_err(), vec![1, 1]);
    }
}
