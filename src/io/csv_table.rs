//! CSV tables in UTF-8 (with or without BOM) or GBK/GB18030, as Chinese data often is.

use std::collections::HashMap;
use std::path::Path;

use crate::io::{ReadError, Row, Table};
use crate::plan::Encoding;

/// Line number (1-based) of byte `offset` in `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Decodes a file's bytes strictly: invalid text is an error naming the line.
pub fn decode(path: &Path, bytes: &[u8], encoding: Encoding) -> Result<String, ReadError> {
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            std::str::from_utf8(body).map(str::to_string).map_err(|e| {
                let offset = e.valid_up_to() + (bytes.len() - body.len());
                ReadError::at(
                    path,
                    format!("line {}", line_of(bytes, offset)),
                    None,
                    format!(
                        "invalid UTF-8 at byte {offset}; the file is declared UTF-8 \
                         (if it is GBK, set encoding = \"gbk\" in the plan)"
                    ),
                )
            })
        }
        Encoding::Gbk => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                let line = text
                    .lines()
                    .position(|l| l.contains('\u{FFFD}'))
                    .map(|i| i + 1)
                    .unwrap_or(1);
                return Err(ReadError::at(
                    path,
                    format!("line {line}"),
                    None,
                    "invalid GBK/GB18030 text; the file is declared GBK",
                ));
            }
            Ok(text.into_owned())
        }
    }
}

/// Reads a CSV file with a header row.
pub fn read(path: &Path, encoding: Encoding, delimiter: u8) -> Result<Table, ReadError> {
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
    let text = decode(path, &bytes, encoding)?;
    if text.trim().is_empty() {
        return Err(ReadError::file(
            path,
            "the file is empty; expected a header row and data rows",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::at(path, "line 1", None, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for c in &columns {
        if !seen.insert(c) {
            return Err(ReadError::at(
                path,
                "line 1",
                Some(c),
                "column name appears twice",
            ));
        }
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
            ReadError::at(
                path,
                format!("line {line}"),
                None,
                format!("malformed CSV: {e}"),
            )
        })?;
        let values: HashMap<String, String> = columns
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.push(Row {
            location: format!(
                "row {} (line {})",
                i + 1,
                record.position().map_or(0, |p| p.line())
            ),
            values,
            geometry: None,
        });
    }
    if rows.is_empty() {
        return Err(ReadError::file(
            path,
            "the file has a header but no data rows",
        ));
    }
    Ok(Table {
        file: path.to_path_buf(),
        columns: Some(columns),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_decodes_and_bad_utf8_names_the_line() {
        let (gbk, _, _) = encoding_rs::GBK.encode("名称,类型\n长者食堂,助餐点\n");
        let p = Path::new("f.csv");
        assert_eq!(
            decode(p, &gbk, Encoding::Gbk).unwrap(),
            "名称,类型\n长者食堂,助餐点\n"
        );
        let err = decode(p, &gbk, Encoding::Utf8).unwrap_err();
        assert_eq!(err.location.as_deref(), Some("line 1"));
        assert!(err.problem.contains("encoding = \"gbk\""), "{err}");
        // A BOM is skipped.
        assert_eq!(
            decode(p, b"\xEF\xBB\xBFa,b\n", Encoding::Utf8).unwrap(),
            "a,b\n"
        );
    }
}
