//! `TreeModel`: nodes flattened into an arena, predicates evaluated with the
//! `missingValueStrategy` (none, nullPrediction, lastPrediction, defaultChild)
//! and `noTrueChildStrategy` semantics of JPMML-Evaluator; class
//! probabilities from `ScoreDistribution`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::compile::Compiler;
use crate::error::PmmlError;
use crate::eval::{Ctx, Slot};
use crate::kernel::NumPred;
use crate::model::{Function, Model, Target};
use crate::predicate::{self, Pred};
use crate::prediction::{ClassResult, Prediction, Probs};
use crate::value::Value;
use crate::xml::{self, Node};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Missing {
    None,
    NullPrediction,
    LastPrediction,
    DefaultChild,
}

#[derive(Debug)]
struct TNode {
    pred: Pred,
    first_child: u32,
    n_children: u32,
    score: Option<Value>,
    /// Class probabilities aligned with the model's categories.
    probs: Option<Vec<f64>>,
    id: Arc<str>,
    default_child: Option<u32>,
}

/// A compiled `TreeModel`.
#[derive(Debug)]
pub(crate) struct TreeModel {
    nodes: Vec<TNode>,
    /// Child indices, referenced by `first_child`/`n_children`.
    children: Vec<u32>,
    missing: Missing,
    return_last: bool,
    cats: Arc<[Value]>,
}

struct Builder {
    nodes: Vec<TNode>,
    children: Vec<u32>,
    cats: Vec<Value>,
    default_ids: Vec<(u32, String, u32)>,
}

impl TreeModel {
    /// Compiles the node hierarchy.
    pub(crate) fn compile(
        c: &mut Compiler,
        node: Node,
        function: Function,
        target: &Target,
    ) -> Result<Self, PmmlError> {
        if function == Function::Clustering {
            return Err(xml::invalid(node, "a `TreeModel` cannot do clustering"));
        }
        let missing = match xml::attr(node, "missingValueStrategy").unwrap_or("none") {
            "none" => Missing::None,
            "nullPrediction" => Missing::NullPrediction,
            "lastPrediction" => Missing::LastPrediction,
            "defaultChild" => Missing::DefaultChild,
            other => return Err(xml::bad_attr(node, "missingValueStrategy", other)),
        };
        let return_last =
            match xml::attr(node, "noTrueChildStrategy").unwrap_or("returnNullPrediction") {
                "returnNullPrediction" => false,
                "returnLastPrediction" => true,
                other => return Err(xml::bad_attr(node, "noTrueChildStrategy", other)),
            };
        let root = xml::req_child(node, "Node")?;
        let mut cats: Vec<Value> = target.categories.to_vec();
        if function == Function::Classification {
            for n in root.descendants().filter(|n| n.is_element()) {
                let raw = match xml::name(n) {
                    "ScoreDistribution" => xml::attr(n, "value"),
                    "Node" => xml::attr(n, "score"),
                    _ => None,
                };
                if let Some(text) = raw {
                    let v = target
                        .data_type
                        .parse_value(text)
                        .unwrap_or_else(|| Value::str(text));
                    if !cats.iter().any(|x| x.same(&v)) {
                        cats.push(v);
                    }
                }
            }
        }
        let mut b = Builder {
            nodes: Vec::new(),
            children: Vec::new(),
            cats,
            default_ids: Vec::new(),
        };
        // Breadth-first layout keeps each node's children contiguous.
        // Nodes without an `id` are named by their 1-based depth-first position.
        let preorder: HashMap<roxmltree::NodeId, usize> = root
            .descendants()
            .filter(|n| n.is_element() && xml::name(*n) == "Node")
            .enumerate()
            .map(|(i, n)| (n.id(), i))
            .collect();
        let pos = |n: Node| preorder.get(&n.id()).copied().unwrap_or(0);
        let mut queue: Vec<Node> = vec![root];
        let mut qi = 0;
        b.nodes.push(Self::compile_node(
            c,
            root,
            function,
            target,
            &mut b.cats,
            pos(root),
        )?);
        while qi < queue.len() {
            let n = queue[qi];
            let idx = qi as u32;
            qi += 1;
            if let Some(d) = xml::attr(n, "defaultChild") {
                b.default_ids.push((idx, d.to_string(), xml::line(n)));
            }
            let first = b.children.len() as u32;
            let mut count = 0;
            for ch in xml::children(n, "Node") {
                let ci = b.nodes.len() as u32;
                let tn = Self::compile_node(c, ch, function, target, &mut b.cats, pos(ch))?;
                b.nodes.push(tn);
                b.children.push(ci);
                queue.push(ch);
                count += 1;
            }
            b.nodes[idx as usize].first_child = first;
            b.nodes[idx as usize].n_children = count;
        }
        let ids: HashMap<Arc<str>, u32> = b
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i as u32))
            .collect();
        for (idx, d, line) in std::mem::take(&mut b.default_ids) {
            let target_idx =
                ids.get(d.as_str())
                    .copied()
                    .ok_or_else(|| PmmlError::InvalidElement {
                        element: "Node".into(),
                        line,
                        message: format!("`defaultChild` names node `{d}`, which does not exist"),
                    })?;
            b.nodes[idx as usize].default_child = Some(target_idx);
        }
        // Align distributions with the final category list.
        let ncat = b.cats.len();
        for n in &mut b.nodes {
            if let Some(p) = &mut n.probs {
                p.resize(ncat, 0.0);
            }
        }
        Ok(TreeModel {
            nodes: b.nodes,
            children: b.children,
            missing,
            return_last,
            cats: b.cats.into(),
        })
    }

    fn compile_node(
        c: &mut Compiler,
        n: Node,
        function: Function,
        target: &Target,
        cats: &mut Vec<Value>,
        index: usize,
    ) -> Result<TNode, PmmlError> {
        for ch in xml::elements(n) {
            let name = xml::name(ch);
            if !(predicate::PREDICATES.contains(&name)
                || matches!(name, "Node" | "ScoreDistribution" | "Partition"))
            {
                return Err(xml::unsupported(ch));
            }
        }
        let pred = predicate::compile_child(c, n)?;
        let score = match xml::attr(n, "score") {
            None => None,
            Some(s) => Some(match function {
                Function::Regression => target
                    .data_type
                    .parse_value(s)
                    .ok_or_else(|| xml::invalid(n, format!("`score` `{s}` is not a number")))?,
                _ => target
                    .data_type
                    .parse_value(s)
                    .unwrap_or_else(|| Value::str(s)),
            }),
        };
        let sds: Vec<Node> = xml::children(n, "ScoreDistribution").collect();
        let probs = if function == Function::Classification && !sds.is_empty() {
            let has_prob = xml::attr(sds[0], "probability").is_some();
            let mut p = vec![0.0; cats.len()];
            let mut sum = 0.0;
            for sd in &sds {
                let text = xml::req_attr(*sd, "value")?;
                let v = target
                    .data_type
                    .parse_value(text)
                    .unwrap_or_else(|| Value::str(text));
                let w = if has_prob {
                    xml::req_f64(*sd, "probability")?
                } else {
                    xml::req_f64(*sd, "recordCount")?
                };
                sum += w;
                let i = match cats.iter().position(|x| x.same(&v)) {
                    Some(i) => i,
                    None => {
                        cats.push(v);
                        p.push(0.0);
                        cats.len() - 1
                    }
                };
                p[i] += w;
            }
            if sum != 1.0 {
                if sum == 0.0 {
                    return Err(xml::invalid(n, "`ScoreDistribution` weights sum to zero"));
                }
                for x in &mut p {
                    *x /= sum;
                }
            }
            Some(p)
        } else {
            None
        };
        let id: Arc<str> = match xml::attr(n, "id") {
            Some(s) => Arc::from(s),
            None => Arc::from((index + 1).to_string()),
        };
        Ok(TNode {
            pred,
            first_child: 0,
            n_children: 0,
            score,
            probs,
            id,
            default_child: None,
        })
    }

    /// Index of the node that decides, or `None` for a null prediction.
    fn find(&self, ctx: &mut Ctx) -> Result<Option<usize>, PmmlError> {
        if self.nodes[0].pred.eval(ctx)? != Some(true) {
            return Ok(None);
        }
        let mut node = 0usize;
        'descend: loop {
            let n = &self.nodes[node];
            if n.n_children == 0 {
                return Ok(Some(node));
            }
            let kids =
                &self.children[n.first_child as usize..(n.first_child + n.n_children) as usize];
            for &k in kids {
                match self.nodes[k as usize].pred.eval(ctx)? {
                    Some(true) => {
                        node = k as usize;
                        continue 'descend;
                    }
                    Some(false) => {}
                    None => match self.missing {
                        Missing::None => {}
                        Missing::NullPrediction => return Ok(None),
                        Missing::LastPrediction => return Ok(Some(node)),
                        Missing::DefaultChild => match n.default_child {
                            Some(d) => {
                                node = d as usize;
                                continue 'descend;
                            }
                            None => {
                                return Err(PmmlError::eval(format!(
                                    "tree node `{}` has no `defaultChild` to follow for a missing value",
                                    n.id
                                )));
                            }
                        },
                    },
                }
            }
            if self.return_last && n.score.is_some() {
                return Ok(Some(node));
            }
            return Ok(None);
        }
    }

    /// Whether the numeric kernel handles this (regression) tree: simple
    /// numeric comparisons and numeric scores; pushes the slots it reads.
    pub(crate) fn lower(&self, need: &mut Vec<Slot>) -> bool {
        self.nodes
            .iter()
            .all(|n| n.pred.lower(need) && matches!(n.score, None | Some(Value::Number(_))))
    }

    /// [`TreeModel::predict`] of a regression tree on the numeric kernel's slot values.
    pub(crate) fn predict_num(&self, vals: &[f64]) -> Option<NumPred<'_>> {
        if !self.nodes[0].pred.eval_num(vals)? {
            return None;
        }
        let mut node = 0usize;
        'descend: loop {
            let n = &self.nodes[node];
            if n.n_children != 0 {
                let kids =
                    &self.children[n.first_child as usize..(n.first_child + n.n_children) as usize];
                for &k in kids {
                    if self.nodes[k as usize].pred.eval_num(vals)? {
                        node = k as usize;
                        continue 'descend;
                    }
                }
                if !self.return_last {
                    return None;
                }
            }
            return match n.score {
                Some(Value::Number(x)) => Some(NumPred::Value(x)),
                _ => None,
            };
        }
    }

    /// The classes the tree knows.
    pub(crate) fn categories(&self) -> Arc<[Value]> {
        self.cats.clone()
    }

    /// Scores one record.
    pub(crate) fn predict(
        &self,
        ctx: &mut Ctx,
        model: &Model,
    ) -> Result<Prediction<'_>, PmmlError> {
        let Some(i) = self.find(ctx)? else {
            return Ok(Prediction::Missing);
        };
        let n = &self.nodes[i];
        match model.function {
            Function::Classification => {
                let mut probs = Probs::zeros(self.cats.len());
                match (&n.probs, &n.score) {
                    (Some(p), _) => probs.as_mut_slice().copy_from_slice(p),
                    (None, Some(s)) => {
                        if let Some(k) = self.cats.iter().position(|x| x.same(s)) {
                            probs.as_mut_slice()[k] = 1.0;
                        }
                    }
                    (None, None) => {
                        return Err(PmmlError::eval(format!(
                            "tree node `{}` has neither `score` nor `ScoreDistribution`",
                            n.id
                        )));
                    }
                }
                let mut r = ClassResult::from_probs(&self.cats, probs);
                r.has_probabilities = n.probs.is_some();
                if let Some(s) = &n.score {
                    r.label = s.clone();
                }
                r.entity = Some(&n.id);
                Ok(Prediction::Class(r))
            }
            _ => match &n.score {
                Some(v) => Ok(Prediction::Value {
                    value: v.clone(),
                    entity: Some(&n.id),
                }),
                None => Err(PmmlError::eval(format!(
                    "tree node `{}` has no `score`",
                    n.id
                ))),
            },
        }
    }
}
