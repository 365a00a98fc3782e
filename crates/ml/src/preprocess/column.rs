//! The owned column that preprocessing stages return.

use crate::ColumnData;

/// A column produced by a `transform`. Numeric nulls are NaN; text nulls
/// are `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedColumn {
    /// Numbers.
    Numeric(Vec<f64>),
    /// Text.
    Text(Vec<Option<String>>),
}

impl OwnedColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            OwnedColumn::Numeric(v) => v.len(),
            OwnedColumn::Text(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A borrowed view, to build a [`crate::Frame`] over transformed columns.
    pub fn as_column_data(&self) -> ColumnData<'_> {
        match self {
            OwnedColumn::Numeric(v) => ColumnData::Numeric(v),
            OwnedColumn::Text(v) => ColumnData::Text(v.iter().map(Option::as_deref).collect()),
        }
    }
}
