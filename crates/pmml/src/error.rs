//! The crate's single error type, [`PmmlError`]: every failure while parsing,
//! compiling or evaluating a PMML document.

use thiserror::Error;

/// Everything that can go wrong with a PMML document or while scoring it.
///
/// Load-time variants name the element and the line of the document it sits
/// on; evaluation-time variants name the field or function involved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PmmlError {
    /// The text is not well-formed XML.
    #[error("malformed xml at line {line}: {message}; fix the document so that it parses")]
    Xml {
        /// 1-based line of the problem.
        line: u32,
        /// What the XML parser reported.
        message: String,
    },
    /// The document is XML but not a PMML 4.x document.
    #[error("not a pmml 4.x document: {message}")]
    NotPmml {
        /// What is wrong.
        message: String,
    },
    /// An element this evaluator does not implement; scoring it could give a wrong answer.
    #[error("unsupported element `{element}` at line {line}{hint}")]
    UnsupportedElement {
        /// Local name of the element.
        element: String,
        /// 1-based line of the element.
        line: u32,
        /// Extra advice, empty or starting with "; ".
        hint: String,
    },
    /// An attribute value this evaluator does not implement.
    #[error("unsupported value `{value}` of attribute `{attribute}` on `{element}` at line {line}")]
    UnsupportedAttribute {
        /// Local name of the element.
        element: String,
        /// Attribute name.
        attribute: String,
        /// The value found.
        value: String,
        /// 1-based line of the element.
        line: u32,
    },
    /// A required attribute is absent.
    #[error(
        "missing attribute `{attribute}` on `{element}` at line {line}; add it to the document"
    )]
    MissingAttribute {
        /// Local name of the element.
        element: String,
        /// Attribute name.
        attribute: String,
        /// 1-based line of the element.
        line: u32,
    },
    /// A required child element is absent.
    #[error("missing element `{child}` inside `{element}` at line {line}; add it to the document")]
    MissingElement {
        /// Local name of the parent element.
        element: String,
        /// Local name of the missing child.
        child: String,
        /// 1-based line of the parent.
        line: u32,
    },
    /// An element or attribute is present but its content is not valid.
    #[error("invalid `{element}` at line {line}: {message}")]
    InvalidElement {
        /// Local name of the element.
        element: String,
        /// 1-based line of the element.
        line: u32,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A field name that no `DataField`, `DerivedField` or `OutputField` in scope declares.
    #[error(
        "unknown field `{field}` referenced by `{element}` at line {line}; declare it in the `DataDictionary` or a `DerivedField`"
    )]
    UnknownField {
        /// The field name.
        field: String,
        /// Local name of the referencing element.
        element: String,
        /// 1-based line of the referencing element.
        line: u32,
    },
    /// An input value that the field does not accept (`invalidValueTreatment="returnInvalid"`).
    #[error(
        "invalid value `{value}` for field `{field}`; pass a value the `DataDictionary` allows or set `invalidValueTreatment`"
    )]
    InvalidValue {
        /// The field name.
        field: String,
        /// The offending value, as text.
        value: String,
    },
    /// A missing input value where the model requires one (`missingValueTreatment="returnInvalid"`).
    #[error("missing value for field `{field}`; the model does not accept missing values there")]
    MissingValue {
        /// The field name.
        field: String,
    },
    /// Evaluation could not produce a defined result.
    #[error("evaluation failed: {message}")]
    Evaluation {
        /// What happened.
        message: String,
    },
    /// The caller passed inputs that do not fit the model.
    #[error("bad input: {message}")]
    Input {
        /// What is wrong with the inputs.
        message: String,
    },
    /// A model or pipeline that cannot be written as PMML (see [`crate::export`]).
    #[error("cannot export to pmml: {message}")]
    Export {
        /// What cannot be exported, and why.
        message: String,
    },
}

impl PmmlError {
    /// Shorthand for an [`PmmlError::Evaluation`] error.
    pub(crate) fn eval(message: impl Into<String>) -> Self {
        PmmlError::Evaluation {
            message: message.into(),
        }
    }
}
