//! Conformance of exported documents with JPMML-Evaluator, the reference
//! PMML implementation: every document of `export_support::cases()` (each
//! `pai-ml` model class, and pipelines) is scored by
//! the JPMML oracle (`$PAI_TEST_PMML_ORACLE`: `pmml-oracle MODEL INPUT
//! OUTPUT`) on its input rows and must give `pai-ml`'s own predictions
//! (numbers within 1e-9, identical labels), and validates against the PMML
//! 4.4 XSD that ships in JPMML's `pmml-model` jar (`xmllint --schema`).
//!
//! Needs the oracle with its Python environment already made
//! (`$PAI_ORACLE_VENV`, default `~/.cache/pai-engine/oracle-venv`; this test
//! installs nothing), `java` (11+) and `xmllint` (Debian package
//! `libxml2-utils`). `.ci/run` prepares all of them; without them the test
//! is skipped visibly (`pai-testkit`).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;
mod export_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use export_support::{Case, cases, compare};

const SUITE: &str = "pmml-oracle";
const ENABLE: &str = "install a JDK 11+ and `xmllint` (Debian: default-jre-headless libxml2-utils), make the oracle's venv (see `.ci/run`) and set PAI_TEST_PMML_ORACLE to the `pmml-oracle` script";

/// The oracle, its environment, `java` and `xmllint`, or `None` (skipped).
fn oracle() -> Option<PathBuf> {
    let oracle = pai_testkit::require_env_path(SUITE, "PAI_TEST_PMML_ORACLE", ENABLE)?;
    let python = venv().join("bin/python");
    let missing = ["java", "xmllint"]
        .into_iter()
        .find(|p| pai_testkit::find_program(p).is_none())
        .map(|p| format!("`{p}` was not found"))
        .or_else(|| {
            (!python.is_file()).then(|| {
                format!(
                    "the oracle's environment `{}` is not made",
                    venv().display()
                )
            })
        });
    pai_testkit::require(SUITE, missing, ENABLE).then_some(oracle)
}

fn venv() -> PathBuf {
    match std::env::var_os("PAI_ORACLE_VENV") {
        Some(v) => PathBuf::from(v),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/pai-engine/oracle-venv")
        }
    }
}

/// Scores `case` with JPMML; returns the mismatches with `pai-ml`.
fn check_with_oracle(oracle: &Path, case: &Case, dir: &Path) -> Vec<String> {
    let model = dir.join(format!("{}.pmml", case.name));
    let input = dir.join(format!("{}.input.csv", case.name));
    let output = dir.join(format!("{}.oracle.csv", case.name));
    std::fs::write(&model, &case.pmml).unwrap();
    std::fs::write(&input, case.input.to_csv()).unwrap();
    let out = Command::new(oracle)
        .args([&model, &input, &output])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", oracle.display()));
    if !out.status.success() {
        return vec![format!(
            "{}: the oracle failed: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        )];
    }
    let got = common::read_csv(&output);
    let errors = got.col("errors");
    if let Some(e) = errors.and_then(|i| got.rows.iter().find_map(|r| r.get(i).cloned().flatten()))
    {
        return vec![format!("{}: JPMML reports: {e}", case.name)];
    }
    compare(case, &got.header, &got.rows)
}

/// Extracts `pmml.xsd` from the oracle environment's `pmml-model` jar.
fn xsd(dir: &Path) -> PathBuf {
    let deps = std::fs::read_dir(venv().join("lib"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .join("site-packages/jpmml_evaluator/dependencies")
        })
        .find(|p| p.is_dir())
        .expect("the oracle environment has no jpmml_evaluator jars");
    let jar = std::fs::read_dir(&deps)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("pmml-model-") && !n.contains("metro") && n.ends_with(".jar")
        })
        .expect("no pmml-model jar in the oracle environment");
    // The environment's own Python reads the jar (a zip file).
    let out = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg("import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('pmml.xsd'))")
        .arg(&jar)
        .output()
        .expect("cannot run the oracle environment's python");
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "no pmml.xsd in {}",
        jar.display()
    );
    let path = dir.join("pmml.xsd");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

#[test]
fn exported_documents_score_like_pai_ml_in_jpmml_and_validate_against_the_xsd() {
    let Some(oracle) = oracle() else { return };
    let dir = tempfile::tempdir().unwrap();
    let all = cases();
    // The first run may create the oracle's environment: run it alone.
    let (first, rest) = all.split_first().unwrap();
    let mut bad = check_with_oracle(&oracle, first, dir.path());
    let half = rest.len().div_ceil(2);
    std::thread::scope(|s| {
        let workers: Vec<_> = rest
            .chunks(half)
            .map(|chunk| {
                let (d, o) = (dir.path(), oracle.as_path());
                s.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|c| check_with_oracle(o, c, d))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for w in workers {
            bad.extend(w.join().unwrap());
        }
    });
    let schema = xsd(dir.path());
    for case in &all {
        let model = dir.path().join(format!("{}.pmml", case.name));
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&model)
            .output()
            .expect("`xmllint` is needed (Debian package libxml2-utils)");
        if !out.status.success() {
            bad.push(format!(
                "{}: not valid against the PMML 4.4 xsd: {}",
                case.name,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
