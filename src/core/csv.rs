//! CSV files as Japanese back offices exchange them: UTF-8 with or without a BOM, or
//! Shift_JIS (what Excel writes); formula-looking cells escaped on export; small headed uploads
//! (tracking numbers, bank statements) read with per-row errors.
use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use utoipa::ToSchema;

/// Text encodings accepted and produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    /// Decide from the bytes: a UTF-8 BOM or valid UTF-8 is UTF-8, anything else Shift_JIS.
    Auto,
    Utf8,
    ShiftJis,
}

impl CsvEncoding {
    /// Parses `auto`, `utf-8`, `utf-8-bom`, `shift_jis` (also `sjis`, `cp932`).
    pub fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.map(str::to_ascii_lowercase).as_deref() {
            None | Some("auto") => Ok(Self::Auto),
            Some("utf-8") | Some("utf8") | Some("utf-8-bom") => Ok(Self::Utf8),
            Some("shift_jis") | Some("sjis") | Some("cp932") | Some("windows-31j") => {
                Ok(Self::ShiftJis)
            }
            Some(_) => Err(ApiError::field(
                "encoding",
                "must be auto, utf-8, utf-8-bom or shift_jis",
            )),
        }
    }
}

/// Decodes CSV bytes to text.
///
/// # Errors
/// 422 `encoding` when the bytes are not valid in the requested encoding.
pub fn decode(bytes: &[u8], enc: CsvEncoding) -> ApiResult<String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    match (enc, without_bom) {
        (CsvEncoding::Auto | CsvEncoding::Utf8, Some(rest)) => String::from_utf8(rest.to_vec())
            .map_err(|_| {
                ApiError::field(
                    "encoding",
                    "the file has a UTF-8 BOM but is not valid UTF-8",
                )
            }),
        (CsvEncoding::Utf8, None) => String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::field("encoding", "the file is not valid UTF-8")),
        (CsvEncoding::Auto, None) => match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => decode(bytes, CsvEncoding::ShiftJis),
        },
        (CsvEncoding::ShiftJis, _) => {
            let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
            if had_errors {
                return Err(ApiError::field(
                    "encoding",
                    "the file is neither UTF-8 nor Shift_JIS",
                ));
            }
            Ok(text.into_owned())
        }
    }
}

/// One refused cell or row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub row: usize,
    /// Column name (or `row` for the whole row).
    pub column: String,
    pub message: String,
}

/// Encodes CSV text for Excel: UTF-8 with a BOM, or Shift_JIS (refusing unmappable text).
///
/// # Errors
/// 422 `encoding` when Shift_JIS cannot hold the text.
pub fn encode(text: &str, enc: CsvEncoding) -> ApiResult<Vec<u8>> {
    Ok(match enc {
        CsvEncoding::ShiftJis => {
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            if unmappable {
                return Err(ApiError::field(
                    "encoding",
                    "some text cannot be written in Shift_JIS (e.g. emoji); export as utf-8-bom",
                ));
            }
            bytes.into_owned()
        }
        _ => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        }
    })
}

/// A small headed CSV upload (tracking numbers, bank statements): UTF-8 or Shift_JIS, at most
/// `max_rows` data rows. Returns the header and each row with its 1-based line number (the
/// header is line 1); an unreadable row is kept as its error text.
///
/// # Errors
/// 422 `file` (unreadable header, too many rows); 422 `encoding`.
#[allow(clippy::type_complexity)]
pub fn headed_rows(
    bytes: &[u8],
    max_rows: usize,
) -> ApiResult<(
    csv::StringRecord,
    Vec<(usize, Result<csv::StringRecord, String>)>,
)> {
    let text = decode(bytes, CsvEncoding::Auto)?;
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rd
        .headers()
        .map_err(|e| ApiError::field("file", format!("unreadable header: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        if i >= max_rows {
            return Err(ApiError::field(
                "file",
                format!("has more than {max_rows} rows"),
            ));
        }
        rows.push((i + 2, rec.map_err(|e| format!("unreadable: {e}"))));
    }
    Ok((header, rows))
}

/// The index of the first header cell named one of `names`.
pub fn column(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.trim()))
}

/// Cells that a spreadsheet would run as a formula are written with a leading `'`.
pub fn escape_cell(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    }
}

/// Undoes [`escape_cell`] on import.
pub fn unescape_cell(v: &str) -> String {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped_and_restored() {
        assert_eq!(escape_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_cell("紅いも"), "紅いも");
        assert_eq!(unescape_cell(&escape_cell("@SUM(A1)")), "@SUM(A1)");
        assert_eq!(unescape_cell("'plain"), "'plain");
    }

    #[test]
    fn encodings_are_detected() {
        let sjis = encoding_rs::SHIFT_JIS.encode("紅いもタルト").0.into_owned();
        assert_eq!(
            decode(&sjis, CsvEncoding::Auto).ok().as_deref(),
            Some("紅いもタルト")
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("紅いも".as_bytes());
        assert_eq!(
            decode(&bom, CsvEncoding::Auto).ok().as_deref(),
            Some("紅いも")
        );
        assert_eq!(
            decode("紅いも".as_bytes(), CsvEncoding::Auto)
                .ok()
                .as_deref(),
            Some("紅いも")
        );
        assert!(decode(&sjis, CsvEncoding::Utf8).is_err());
        assert!(CsvEncoding::parse(Some("latin1")).is_err());
    }
}
