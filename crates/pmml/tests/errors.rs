//! Documents the evaluator cannot score exactly are refused with errors that
//! name the element and its line; malformed XML reports its line.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use pai_pmml::{PmmlError, PmmlModel};

const HEAD: &str = r#"<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
"#;

#[test]
fn unsupported_model_names_element_and_line() {
    let doc = format!(
        "{HEAD}  <NeuralNetwork functionName=\"regression\" activationFunction=\"logistic\">\n    <MiningSchema/>\n  </NeuralNetwork>\n</PMML>"
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert!(
        matches!(&err, PmmlError::UnsupportedElement { element, line: 7, .. } if element == "NeuralNetwork"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("unsupported element `NeuralNetwork` at line 7"),
        "{msg}"
    );
}

#[test]
fn unsupported_nested_element_and_attribute() {
    let doc = format!(
        r#"{HEAD}  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <LocalTransformations>
      <DerivedField name="d" optype="continuous" dataType="double">
        <Lag field="x" n="1"/>
      </DerivedField>
    </LocalTransformations>
    <RegressionTable intercept="1"/>
  </RegressionModel>
</PMML>"#
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert_eq!(err.to_string(), "unsupported element `Lag` at line 11");

    let doc = format!(
        r#"{HEAD}  <TreeModel functionName="regression" missingValueStrategy="aggregateNodes">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Node score="1"><True/></Node>
  </TreeModel>
</PMML>"#
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert!(
        matches!(&err, PmmlError::UnsupportedAttribute { element, attribute, value, line: 7 }
            if element == "TreeModel" && attribute == "missingValueStrategy" && value == "aggregateNodes"),
        "{err:?}"
    );

    let doc = format!(
        r#"{HEAD}  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><NumericPredictor name="x" coefficient="1"/></RegressionTable>
    <Output><OutputField name="r" feature="reasonCode"/></Output>
  </RegressionModel>
</PMML>"#
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert!(err.to_string().contains("`reasonCode`"), "{err}");
    assert!(err.to_string().contains("line 10"), "{err}");
}

#[test]
fn unknown_apply_function_and_field() {
    let doc = format!(
        r#"{HEAD}  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <LocalTransformations>
      <DerivedField name="d" optype="continuous" dataType="double">
        <Apply function="x-mystery"><FieldRef field="x"/></Apply>
      </DerivedField>
    </LocalTransformations>
    <RegressionTable intercept="1"><NumericPredictor name="d" coefficient="1"/></RegressionTable>
  </RegressionModel>
</PMML>"#
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert!(
        err.to_string().contains("`x-mystery`") && err.to_string().contains("line 11"),
        "{err}"
    );

    let doc = format!(
        r#"{HEAD}  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><NumericPredictor name="nope" coefficient="1"/></RegressionTable>
  </RegressionModel>
</PMML>"#
    );
    let err = PmmlModel::parse(&doc).unwrap_err();
    assert!(
        matches!(&err, PmmlError::UnknownField { field, line: 9, .. } if field == "nope"),
        "{err:?}"
    );
}

#[test]
fn malformed_xml_reports_line() {
    let doc = "<?xml version=\"1.0\"?>\n<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n  <DataDictionary>\n    <DataField name=\"x\" dataType=\"double\">\n  </DataDictionary>\n</PMML>";
    let err = PmmlModel::parse(doc).unwrap_err();
    assert!(matches!(err, PmmlError::Xml { line: 5, .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("malformed xml at line 5"),
        "{err}"
    );
}

#[test]
fn wrong_version_or_root() {
    let err = PmmlModel::parse("<PMML xmlns=\"http://www.dmg.org/PMML-3_2\" version=\"3.2\"/>")
        .unwrap_err();
    assert!(matches!(err, PmmlError::NotPmml { .. }), "{err:?}");
    let err = PmmlModel::parse("<html/>").unwrap_err();
    assert!(matches!(err, PmmlError::NotPmml { .. }), "{err:?}");
}

#[test]
fn invalid_input_value_is_an_error() {
    let doc = r#"<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="c"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><CategoricalPredictor name="c" value="a" coefficient="2"/></RegressionTable>
  </RegressionModel>
</PMML>"#;
    let m = PmmlModel::parse(doc).unwrap();
    let err = m.evaluate(&[pai_pmml::Value::str("zzz")]).unwrap_err();
    assert!(
        matches!(&err, PmmlError::InvalidValue { field, .. } if field == "c"),
        "{err:?}"
    );
    assert_eq!(
        m.evaluate(&[pai_pmml::Value::str("a")]).unwrap()[0],
        pai_pmml::Value::Number(3.0)
    );
}
