//! Reshaping a validated pipeline: keeping some nodes with their ancestors,
//! putting the nodes in run order, appending a node. Every reshaping goes
//! through one reindexing step, so input edges, upstream lists and the
//! topological order stay consistent and node ids are kept.

use std::time::Duration;

use pai_components::ComponentConfig;

use crate::{Diagnostic, InputEdge, ManifestError, RetryPolicy, ValidatedNode, ValidatedPipeline};

/// One wired input of a node to append, naming its producer by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRef {
    /// The consuming port.
    pub port: String,
    /// Id of the producing node.
    pub from: String,
    /// The producing port.
    pub from_port: String,
}

/// A node to append with [`ValidatedPipeline::with_node`]; its upstream
/// list is derived from `inputs`.
#[derive(Debug, Clone)]
pub struct NewNode {
    /// The node id; must not be taken.
    pub id: String,
    /// The component with its typed params.
    pub config: ComponentConfig,
    /// Data inputs, read from nodes already in the pipeline.
    pub inputs: Vec<InputRef>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Per-attempt time limit.
    pub timeout: Option<Duration>,
}

impl NewNode {
    /// A node without retries or time limit.
    pub fn new(id: impl Into<String>, config: ComponentConfig, inputs: Vec<InputRef>) -> Self {
        Self {
            id: id.into(),
            config,
            inputs,
            retry: RetryPolicy {
                limit: 0,
                backoff: Duration::ZERO,
            },
            timeout: None,
        }
    }
}

impl ValidatedPipeline {
    /// The pipeline with only the nodes `keep` and every node they depend
    /// on (through data inputs or `depends_on`), in manifest order; the
    /// topological order is the original one, restricted. An unknown id is
    /// an error.
    pub fn subset<S: AsRef<str>>(&self, keep: &[S]) -> Result<ValidatedPipeline, ManifestError> {
        let mut stack = Vec::with_capacity(keep.len());
        let mut unknown = Vec::new();
        for id in keep {
            match self.index_of(id.as_ref()) {
                Some(i) => stack.push(i),
                None => unknown.push(self.problem(
                    None,
                    format!("pipeline `{}` has no node `{}`", self.name, id.as_ref()),
                )),
            }
        }
        if !unknown.is_empty() {
            return Err(ManifestError(unknown));
        }
        let mut wanted = vec![false; self.nodes.len()];
        while let Some(i) = stack.pop() {
            if !wanted[i] {
                wanted[i] = true;
                stack.extend(self.nodes[i].upstream.iter().copied());
            }
        }
        let kept: Vec<usize> = (0..self.nodes.len()).filter(|&i| wanted[i]).collect();
        Ok(self.reindexed(&kept))
    }

    /// The same pipeline with its nodes stored in topological order, so
    /// that `order` is `0..n`.
    pub fn in_run_order(&self) -> ValidatedPipeline {
        self.reindexed(&self.order)
    }

    /// The pipeline with `node` appended; it runs after the nodes it reads
    /// from. Errors when its id is taken or an input names an unknown node.
    pub fn with_node(mut self, node: NewNode) -> Result<ValidatedPipeline, ManifestError> {
        let mut problems = Vec::new();
        if self.index_of(&node.id).is_some() {
            problems.push(self.problem(
                Some(&node.id),
                format!("pipeline `{}` already has a node with this id", self.name),
            ));
        }
        let mut inputs = Vec::with_capacity(node.inputs.len());
        for input in node.inputs {
            match self.index_of(&input.from) {
                Some(from) => inputs.push(InputEdge {
                    port: input.port,
                    from,
                    from_port: input.from_port,
                }),
                None => problems.push(self.problem(
                    Some(&node.id),
                    format!(
                        "input `{}` reads from `{}`, which is not a node of pipeline `{}`",
                        input.port, input.from, self.name
                    ),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(ManifestError(problems));
        }
        let mut upstream: Vec<usize> = inputs.iter().map(|e| e.from).collect();
        upstream.sort_unstable();
        upstream.dedup();
        self.order.push(self.nodes.len());
        self.nodes.push(ValidatedNode {
            id: node.id,
            config: node.config,
            inputs,
            upstream,
            retry: node.retry,
            timeout: node.timeout,
        });
        Ok(self)
    }

    /// The pipeline made of the nodes at `old` indices, stored in that
    /// sequence. `old` must be closed under `upstream` (every producer of
    /// a kept node is kept); edges and orders are rewritten to the new
    /// indices.
    fn reindexed(&self, old: &[usize]) -> ValidatedPipeline {
        let mut new_index = vec![None; self.nodes.len()];
        for (new, &o) in old.iter().enumerate() {
            new_index[o] = Some(new);
        }
        let nodes = old
            .iter()
            .map(|&o| {
                let n = &self.nodes[o];
                ValidatedNode {
                    inputs: n
                        .inputs
                        .iter()
                        .filter_map(|e| {
                            new_index[e.from].map(|from| InputEdge { from, ..e.clone() })
                        })
                        .collect(),
                    upstream: n.upstream.iter().filter_map(|&u| new_index[u]).collect(),
                    ..n.clone()
                }
            })
            .collect();
        let order = self.order.iter().filter_map(|&o| new_index[o]).collect();
        ValidatedPipeline {
            nodes,
            order,
            ..self.clone_header()
        }
    }

    /// Everything but the nodes and the order.
    fn clone_header(&self) -> ValidatedPipeline {
        ValidatedPipeline {
            path: self.path.clone(),
            dir: self.dir.clone(),
            sha256: self.sha256.clone(),
            name: self.name.clone(),
            project: self.project.clone(),
            description: self.description.clone(),
            parallelism: self.parallelism,
            nodes: Vec::new(),
            order: Vec::new(),
        }
    }

    /// A problem with this pipeline, not located at a line.
    fn problem(&self, node: Option<&str>, message: String) -> Diagnostic {
        Diagnostic {
            file: self.path.clone(),
            line: 0,
            column: 0,
            node: node.map(str::to_string),
            field: None,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use pai_components::make_pipeline_model::MakePipelineModel;

    use super::*;

    fn config() -> ComponentConfig {
        ComponentConfig::MakePipelineModel(MakePipelineModel {
            class_names: None,
            params_array: None,
            oss_dir: None,
            file_name: None,
            overwrite: false,
            output_model_name: None,
        })
    }

    fn edge(port: &str, from: usize) -> InputEdge {
        InputEdge {
            port: port.into(),
            from,
            from_port: "out".into(),
        }
    }

    fn node(id: &str, inputs: Vec<InputEdge>, upstream: Vec<usize>) -> ValidatedNode {
        let mut n = NewNode::new(id, config(), Vec::new());
        n.retry.limit = 2;
        ValidatedNode {
            id: n.id,
            config: n.config,
            inputs,
            upstream,
            retry: n.retry,
            timeout: Some(Duration::from_secs(5)),
        }
    }

    /// Manifest order `sink, b, a, side, c` with `a → b → sink`,
    /// `c` depending on `a` (no data), and `side` alone.
    fn pipeline() -> ValidatedPipeline {
        ValidatedPipeline {
            path: PathBuf::from("p.yaml"),
            dir: PathBuf::from("."),
            sha256: "00".into(),
            name: "p".into(),
            project: Some("proj".into()),
            description: None,
            parallelism: Some(3),
            nodes: vec![
                node("sink", vec![edge("data", 1), edge("model", 2)], vec![1, 2]),
                node("b", vec![edge("data", 2)], vec![2]),
                node("a", vec![], vec![]),
                node("side", vec![], vec![]),
                node("c", vec![], vec![2]),
            ],
            order: vec![3, 2, 4, 1, 0],
        }
    }

    fn ids(p: &ValidatedPipeline, idx: &[usize]) -> Vec<String> {
        idx.iter().map(|&i| p.nodes[i].id.clone()).collect()
    }

    fn all_ids(p: &ValidatedPipeline) -> Vec<String> {
        p.nodes.iter().map(|n| n.id.clone()).collect()
    }

    /// Every edge and upstream index points at the same producer id as in
    /// `orig`, and `order` is a permutation that runs producers first.
    fn assert_consistent(p: &ValidatedPipeline, orig: &ValidatedPipeline) {
        let mut sorted = p.order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..p.nodes.len()).collect::<Vec<_>>());
        let pos = |i: usize| p.order.iter().position(|&o| o == i).unwrap();
        for (i, n) in p.nodes.iter().enumerate() {
            let o = &orig.nodes[orig.index_of(&n.id).unwrap()];
            assert_eq!(ids(p, &n.upstream), ids(orig, &o.upstream), "{}", n.id);
            let from: Vec<_> = n.inputs.iter().map(|e| e.from).collect();
            let orig_from: Vec<_> = o.inputs.iter().map(|e| e.from).collect();
            assert_eq!(ids(p, &from), ids(orig, &orig_from), "{}", n.id);
            assert!(n.upstream.iter().all(|&u| pos(u) < pos(i)), "{}", n.id);
        }
    }

    #[test]
    fn subset_keeps_ancestors_in_manifest_order() {
        let p = pipeline();
        let s = p.subset(&["b"]).unwrap();
        assert_eq!(all_ids(&s), ["b", "a"]);
        assert_eq!(ids(&s, &s.order), ["a", "b"]);
        assert_consistent(&s, &p);
        assert_eq!(s.nodes[0].retry.limit, 2);
        assert_eq!(s.nodes[0].timeout, Some(Duration::from_secs(5)));
        assert_eq!((s.name.as_str(), s.parallelism), ("p", Some(3)));

        let s = p.subset(&["sink", "c"]).unwrap();
        assert_eq!(all_ids(&s), ["sink", "b", "a", "c"]);
        assert_eq!(ids(&s, &s.order), ["a", "c", "b", "sink"]);
        assert_consistent(&s, &p);

        let whole = p.subset(&["sink", "side", "c"]).unwrap();
        assert_eq!(all_ids(&whole), all_ids(&p));
        assert_eq!(whole.order, p.order);
        assert!(p.subset::<&str>(&[]).unwrap().nodes.is_empty());
    }

    #[test]
    fn subset_rejects_unknown_ids() {
        let err = pipeline().subset(&["b", "nope", "gone"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.yaml: pipeline `p` has no node `nope`\np.yaml: pipeline `p` has no node `gone`"
        );
    }

    #[test]
    fn in_run_order_stores_nodes_topologically() {
        let p = pipeline();
        let r = p.in_run_order();
        assert_eq!(all_ids(&r), ["side", "a", "c", "b", "sink"]);
        assert_eq!(r.order, [0, 1, 2, 3, 4]);
        assert_consistent(&r, &p);
        let r = p.subset(&["sink"]).unwrap().in_run_order();
        assert_eq!(all_ids(&r), ["a", "b", "sink"]);
        assert_consistent(&r, &p);
    }

    #[test]
    fn with_node_appends_after_its_producers() {
        let p = pipeline().subset(&["b"]).unwrap();
        let input = |port: &str, from: &str| InputRef {
            port: port.into(),
            from: from.into(),
            from_port: "model".into(),
        };
        let out = p
            .clone()
            .with_node(NewNode::new(
                "join",
                config(),
                vec![input("x", "b"), input("y", "a"), input("z", "b")],
            ))
            .unwrap();
        assert_eq!(all_ids(&out), ["b", "a", "join"]);
        let join = &out.nodes[2];
        assert_eq!(join.upstream, [0, 1]);
        assert_eq!(
            join.inputs.iter().map(|e| e.from).collect::<Vec<_>>(),
            [0, 1, 0]
        );
        assert_eq!(join.retry.limit, 0);
        assert_eq!(join.timeout, None);
        assert_eq!(ids(&out, &out.order), ["a", "b", "join"]);

        let err = p
            .with_node(NewNode::new("a", config(), vec![input("x", "sink")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.yaml: node `a`: pipeline `p` already has a node with this id\n\
             p.yaml: node `a`: input `x` reads from `sink`, which is not a node of pipeline `p`"
        );
    }
}
