//! The household ledger (台账): import from CSV or XLSX with a preview of every bad row before
//! anything is written, and export of households, residents and orders as CSV or XLSX.
//!
//! A ledger has one row per resident (or one row with no name for an empty dwelling); rows with
//! the same address are one household. Headers are recognised under the names offices give
//! them (`headers`), places by code or name (`places`), coded values in the usual words
//! (`values`); an import updates what is stored (`matching`) rather than appending to it.
//!
//! | 社区 community | 网格 grid | 小区 compound | 楼栋 building | 单元 unit | 房号 room |
//! | 房屋用途 house_use | 姓名 name | 身份证号码 id_number | 联系电话 phone | 与户主关系 relation |
//! | 户籍类型 registration | 特殊人群 tags |

pub mod export;
pub mod headers;
pub mod import;
pub mod matching;
pub mod places;
pub mod read;
pub mod values;

/// Why a ledger file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Not a CSV or XLSX file, or damaged.
    #[error("the file could not be read as a {format} ledger: {reason}")]
    Unreadable {
        /// CSV or XLSX.
        format: &'static str,
        /// What the reader said.
        reason: String,
    },
    /// The file holds nothing.
    #[error("the file is empty")]
    Empty,
    /// An Excel 97–2003 `.xls` file, which is not read.
    #[error("an old .xls workbook: save it as .xlsx")]
    OldXls,
    /// Not a spreadsheet at all (a photo, a PDF, another binary file).
    #[error("not a spreadsheet")]
    NotASpreadsheet,
    /// A required column is missing.
    #[error("the ledger has no {0} column")]
    MissingColumn(&'static str),
    /// More rows than [`read::MAX_ROWS`].
    #[error("the ledger has more than {0} rows")]
    TooManyRows(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] gridwalk_core::Error),
}

impl LedgerError {
    /// The error as a message to render in the reader's language.
    pub fn message(&self) -> gridwalk_core::messages::Message {
        use gridwalk_core::messages::Message;
        match self {
            LedgerError::Unreadable { format, reason } => Message::new("ledger.unreadable")
                .with("format", format)
                .with("reason", reason),
            LedgerError::MissingColumn(column) => {
                Message::new("ledger.missing_column").with("column", column)
            }
            LedgerError::Empty => Message::new("ledger.empty_file"),
            LedgerError::OldXls => Message::new("ledger.old_xls"),
            LedgerError::NotASpreadsheet => Message::new("ledger.not_a_spreadsheet"),
            LedgerError::TooManyRows(max) => Message::new("ledger.too_many_rows").with("max", max),
            LedgerError::Store(e) => e.message(),
        }
    }
}
