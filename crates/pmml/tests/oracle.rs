//! Every `tests/data/<name>.input.csv` scored with `<name>.pmml` must match
//! `<name>.expected.csv`, which JPMML-Evaluator produced (see `regen.sh`):
//! same column names, numbers within 1e-9, identical labels, and errors on
//! the same records.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![allow(non_snake_case)]

mod common;

use common::{data, fixtures, matches, read_csv, score};
use pai_pmml::PmmlModel;

fn model_path(name: &str) -> std::path::PathBuf {
    if name == "pai_designer_lr" {
        fixtures().join("pmml/pai_designer_lr.pmml")
    } else {
        data().join(format!("{name}.pmml"))
    }
}

fn check(name: &str) {
    let text = std::fs::read_to_string(model_path(name)).unwrap();
    let model = PmmlModel::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let input = read_csv(&data().join(format!("{name}.input.csv")));
    let want = read_csv(&data().join(format!("{name}.expected.csv")));
    let got = score(&model, &input);
    assert_eq!(got.len(), want.rows.len(), "{name}: row count");
    let ours: Vec<&str> = model
        .output_columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let err_col = want.col("errors");
    for (r, res) in got.iter().enumerate() {
        let expect_error =
            err_col.is_some_and(|i| want.rows[r].get(i).cloned().flatten().is_some());
        match res {
            Err(e) => assert!(expect_error, "{name} row {r}: unexpected error {e}"),
            Ok(row) => {
                assert!(
                    !expect_error,
                    "{name} row {r}: JPMML failed but we returned {row:?}"
                );
                for (wi, wname) in want.header.iter().enumerate() {
                    if Some(wi) == err_col {
                        continue;
                    }
                    let oi = ours.iter().position(|n| n == wname).unwrap_or_else(|| {
                        panic!("{name}: JPMML column `{wname}` missing from {ours:?}")
                    });
                    let cell = want.rows[r].get(wi).cloned().flatten();
                    assert!(
                        matches(&row[oi], cell.as_deref(), 1e-9),
                        "{name} row {r} column `{wname}`: got {:?}, JPMML says {cell:?}",
                        row[oi]
                    );
                }
            }
        }
    }
}

macro_rules! oracle_tests {
    ($($t:ident),* $(,)?) => {
        $(
            #[test]
            fn $t() {
                check(stringify!($t));
            }
        )*
    };
}

oracle_tests!(
    pai_designer_lr,
    tree_compound,
    tree_default_child,
    tree_null_none,
    mining_cls_majorityVote,
    mining_cls_weightedMajorityVote,
    mining_cls_average,
    mining_cls_weightedAverage,
    mining_reg_sum,
    mining_reg_average,
    mining_reg_weightedAverage,
    mining_reg_median,
    mining_reg_selectFirst,
    mining_model_chain,
    naive_bayes,
    clustering_euclidean,
    glm_general_linear,
    glm_logit_binary,
    glm_multinomial,
    glm_ordinal,
    glm_log_regression,
    regression_softmax,
    regression_probit,
    transforms,
    sklearn_gbdt_iris,
    sklearn_gbdt_bc,
    sklearn_rf_iris,
    sklearn_gbr_diabetes,
);

#[test]
fn every_input_has_a_test() {
    let listed = include_str!("oracle.rs");
    for entry in std::fs::read_dir(data()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".input.csv") {
            assert!(
                listed.contains(&format!("    {stem},")),
                "add `{stem}` to oracle_tests!"
            );
        }
    }
}
