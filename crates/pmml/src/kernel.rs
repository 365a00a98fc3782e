//! Numeric scoring kernel: scores a record whose inputs are all finite numbers
//! on plain `f64` slot values (no `Value`s, no lazy slot states) for the
//! common shapes of real documents: numeric input fields, plain-arithmetic
//! derived fields (scalers), linear `RegressionModel`s, regression
//! `TreeModel`s over simple comparisons, and `MiningModel` sums, averages,
//! model chains and selectFirst of those.
//!
//! Each step repeats the record interpreter's arithmetic in the same order,
//! so results are bit-identical. A record the kernel cannot vouch for (a
//! missing or non-finite value anywhere, an integer field given a fraction,
//! a tree that ends on a node without a score) is declined, and the caller
//! scores it with the interpreter, which also reports any error.
//!
//! Batches of records whose top model is linear are scored a block at a
//! time, column by column ([`columnar`]).

mod columnar;

pub(crate) use columnar::{BLOCK, Block};

use crate::Source;
use crate::eval::{Slot, SlotDef};
use crate::expr::Expr;
use crate::model::Model;
use crate::prediction::Probs;
use crate::value::{DataType, Value};

/// What a model predicts for one record, on the kernel's path.
#[derive(Debug)]
pub(crate) enum NumPred<'m> {
    /// A regression value.
    Value(f64),
    /// Class probabilities aligned with `cats`.
    Class { probs: Probs, cats: &'m [Value] },
}

impl NumPred<'_> {
    /// Probability of a class (0 when the class is unknown), as the interpreter reports it.
    pub(crate) fn probability(&self, cat: &Value) -> Option<f64> {
        match self {
            NumPred::Class { probs, cats } => Some(
                cats.iter()
                    .position(|c| c.same(cat))
                    .map_or(0.0, |i| probs.as_slice()[i]),
            ),
            NumPred::Value(_) => None,
        }
    }

    /// Index of the predicted class.
    pub(crate) fn label_index(&self) -> Option<usize> {
        match self {
            NumPred::Class { probs, .. } => probs.argmax(),
            NumPred::Value(_) => None,
        }
    }
}

/// One slot computation, in dependency order.
#[derive(Debug)]
enum Step {
    /// Raw input `index`, converted to `data_type`.
    Input {
        slot: Slot,
        index: usize,
        data_type: DataType,
    },
    /// A derived field of plain double arithmetic.
    Derived(Slot),
}

/// A model's kernel: which slots to fill, in which order.
#[derive(Debug)]
pub(crate) struct Kernel {
    steps: Vec<Step>,
    /// Slots written by output fields, cleared before each record.
    assigned: Vec<Slot>,
    /// Input indices the kernel reads.
    inputs: Vec<usize>,
    slot_count: usize,
    /// Block scoring, when the top model is linear.
    block: Option<columnar::BlockPlan>,
}

/// Visit state of a slot while ordering the steps.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Busy,
    Done,
}

impl Kernel {
    /// The kernel of a compiled model, or `None` when some part of it is not
    /// of a shape the kernel handles (the interpreter then scores everything).
    pub(crate) fn build(slots: &[SlotDef], model: &Model, sources: &[Source]) -> Option<Kernel> {
        let mut need = Vec::new();
        if !model.lower(&mut need) {
            return None;
        }
        for s in sources {
            if let Source::Slot(slot) = s {
                need.push(*slot);
            }
        }
        let mut k = Kernel {
            steps: Vec::new(),
            assigned: Vec::new(),
            inputs: Vec::new(),
            slot_count: slots.len(),
            block: None,
        };
        let mut marks = vec![Mark::New; slots.len()];
        for slot in need {
            k.visit(slots, slot, &mut marks)?;
        }
        k.block = columnar::BlockPlan::build(&k, model, sources);
        Some(k)
    }

    fn visit(&mut self, slots: &[SlotDef], slot: Slot, marks: &mut [Mark]) -> Option<()> {
        match marks.get(slot)? {
            Mark::Done => return Some(()),
            Mark::Busy => return None,
            Mark::New => {}
        }
        marks[slot] = Mark::Busy;
        match &slots[slot] {
            SlotDef::Input {
                index, data_type, ..
            } if matches!(
                data_type,
                DataType::Double | DataType::Float | DataType::Integer
            ) =>
            {
                self.inputs.push(*index);
                self.steps.push(Step::Input {
                    slot,
                    index: *index,
                    data_type: *data_type,
                });
            }
            SlotDef::Derived {
                expr: Expr::Num(n),
                data_type: None | Some(DataType::Double),
                ..
            } => {
                let mut refs = Vec::new();
                n.slots(&mut refs);
                for r in refs {
                    self.visit(slots, r, marks)?;
                }
                self.steps.push(Step::Derived(slot));
            }
            SlotDef::Assigned => self.assigned.push(slot),
            _ => return None,
        }
        marks[slot] = Mark::Done;
        Some(())
    }

    /// Input indices (order of `PmmlModel::input_fields`) the kernel reads.
    pub(crate) fn inputs(&self) -> &[usize] {
        &self.inputs
    }

    /// Fills the slot values of one record from `input` (NaN: missing or
    /// not a number) and scores it; `None` declines the record.
    #[inline]
    pub(crate) fn run<'m>(
        &self,
        slots: &[SlotDef],
        model: &'m Model,
        input: impl Fn(usize) -> f64,
        vals: &mut Vec<f64>,
    ) -> Option<NumPred<'m>> {
        if vals.len() != self.slot_count {
            vals.clear();
            vals.resize(self.slot_count, f64::NAN);
        }
        for &s in &self.assigned {
            vals[s] = f64::NAN;
        }
        for step in &self.steps {
            match *step {
                Step::Input {
                    slot,
                    index,
                    data_type,
                } => {
                    let x = input(index);
                    let v = match data_type {
                        DataType::Float => x as f32 as f64,
                        DataType::Integer if x.fract() != 0.0 => return None,
                        _ => x,
                    };
                    if !x.is_finite() || !v.is_finite() {
                        return None;
                    }
                    vals[slot] = v;
                }
                Step::Derived(slot) => {
                    let SlotDef::Derived {
                        expr: Expr::Num(n), ..
                    } = &slots[slot]
                    else {
                        return None;
                    };
                    let x = n.eval_f64(vals);
                    if !x.is_finite() {
                        return None;
                    }
                    vals[slot] = x;
                }
            }
        }
        model.evaluate_num(vals)
    }
}

/// The value of a slot, `None` when it was not computed (NaN).
#[inline]
pub(crate) fn get(vals: &[f64], slot: Slot) -> Option<f64> {
    let x = vals[slot];
    if x.is_nan() { None } else { Some(x) }
}

#[cfg(test)]
mod tests {
    use crate::{Column, DataType, PmmlModel, Scratch, Value};

    /// Kernel results (batch of `f64` columns) equal the interpreter's, bit for
    /// bit, on ordinary, missing, infinite and huge inputs.
    fn check(doc: &str) {
        let model = PmmlModel::parse(doc).expect("model");
        assert!(model.kernel.is_some(), "the document should have a kernel");
        let fields = model.input_fields().to_vec();
        let n = 1000;
        let cols: Vec<Vec<f64>> = (0..fields.len())
            .map(|f| {
                (0..n)
                    .map(|r| match (r * 7 + f * 3) % 97 {
                        0 => f64::NAN,
                        1 => f64::INFINITY,
                        2 => 1e300,
                        3 => 0.5,
                        k if fields[f].data_type == DataType::Integer => (k as f64 - 40.0).round(),
                        k => (k as f64 - 40.0) * 0.37 + (r % 13) as f64,
                    })
                    .collect()
            })
            .collect();
        let named: Vec<(&str, Column)> = fields
            .iter()
            .zip(&cols)
            .map(|(f, c)| (f.name.as_str(), Column::F64(c)))
            .collect();
        let batch = model.evaluate_batch(&named).expect("batch");
        let mut scratch = Scratch::new();
        let mut out = Vec::new();
        let mut kernel_rows = 0;
        for r in 0..n {
            let vals: Vec<Value> = cols
                .iter()
                .map(|c| {
                    if c[r].is_nan() {
                        Value::Missing
                    } else {
                        Value::Number(c[r])
                    }
                })
                .collect();
            let row = crate::eval::SliceRow(&vals);
            let expected = model
                .interpret_row(&row, &mut scratch, &mut out)
                .map(|()| out.clone());
            if model.score_numeric(|i| cols[i][r], &mut scratch, &mut out) {
                kernel_rows += 1;
            }
            match expected {
                Ok(want) => {
                    for (c, w) in batch.columns.iter().zip(&want) {
                        match (&c[r], w) {
                            (Value::Number(a), Value::Number(b)) => {
                                assert_eq!(a.to_bits(), b.to_bits(), "row {r}")
                            }
                            (a, b) => assert_eq!(a, b, "row {r}"),
                        }
                    }
                }
                Err(_) => assert!(batch.errors.iter().any(|(i, _)| *i == r), "row {r}"),
            }
        }
        assert!(
            kernel_rows > 50 && kernel_rows < n,
            "{kernel_rows} rows on the kernel"
        );
    }

    /// Whether the document's batches are scored a block at a time.
    fn has_block(doc: &str) -> bool {
        let model = PmmlModel::parse(doc).expect("model");
        model.kernel.is_some_and(|k| k.block.is_some())
    }

    const LR: &str =
        include_str!("../../../tests/fixtures/pmml/lr_scaled_breast_cancer.sklearn2pmml.pmml");

    /// A regression over integer, float and double inputs, nested arithmetic,
    /// a squared predictor and target rescaling.
    const LINEAR_REGRESSION: &str = r#"<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
      <DataDictionary>
        <DataField name="a" optype="continuous" dataType="integer"/>
        <DataField name="b" optype="continuous" dataType="float"/>
        <DataField name="c" optype="continuous" dataType="double"/>
        <DataField name="y" optype="continuous" dataType="double"/>
      </DataDictionary>
      <TransformationDictionary>
        <DerivedField name="d" optype="continuous" dataType="double">
          <Apply function="-">
            <Apply function="+">
              <Apply function="*"><FieldRef field="a"/><Constant>0.3</Constant></Apply>
              <Apply function="/">
                <FieldRef field="c"/>
                <Apply function="+">
                  <Apply function="*"><FieldRef field="c"/><FieldRef field="a"/></Apply>
                  <Constant>1.5</Constant>
                </Apply>
              </Apply>
            </Apply>
            <Constant>7.1</Constant>
          </Apply>
        </DerivedField>
      </TransformationDictionary>
      <RegressionModel functionName="regression">
        <MiningSchema>
          <MiningField name="a"/><MiningField name="b"/><MiningField name="c"/>
          <MiningField name="y" usageType="target"/>
        </MiningSchema>
        <Output>
          <OutputField name="out" optype="continuous" dataType="double" feature="predictedValue"/>
        </Output>
        <Targets><Target field="y" rescaleFactor="1.7" rescaleConstant="-0.1"/></Targets>
        <RegressionTable intercept="0.25">
          <NumericPredictor name="d" coefficient="-1.5"/>
          <NumericPredictor name="a" coefficient="0.1" exponent="2"/>
          <NumericPredictor name="c" coefficient="3e-3"/>
          <NumericPredictor name="b" coefficient="0.7"/>
        </RegressionTable>
      </RegressionModel>
    </PMML>"#;

    #[test]
    fn scaler_logistic_regression_matches_interpreter() {
        assert!(has_block(LR));
        check(LR);
    }

    #[test]
    fn linear_regression_blocks_match_interpreter() {
        assert!(has_block(LINEAR_REGRESSION));
        check(LINEAR_REGRESSION);
    }

    #[test]
    fn tree_models_are_not_scored_by_blocks() {
        assert!(!has_block(include_str!(
            "../tests/data/sklearn_gbdt_bc.pmml"
        )));
    }

    #[test]
    fn gbdt_model_chain_matches_interpreter() {
        check(include_str!("../tests/data/sklearn_gbdt_bc.pmml"));
    }

    #[test]
    fn gbr_sum_of_trees_matches_interpreter() {
        check(include_str!("../tests/data/sklearn_gbr_diabetes.pmml"));
    }
}
