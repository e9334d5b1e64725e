//! CSV tables in UTF-8 (with or without BOM) or GBK/GB18030, as Chinese data often is.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::io::{Location, ReadError, Row, Table};
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
pub fn decode<'b>(
    path: &Path,
    bytes: &'b [u8],
    encoding: Encoding,
) -> Result<Cow<'b, str>, ReadError> {
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            std::str::from_utf8(body).map(Cow::Borrowed).map_err(|e| {
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
            Ok(Cow::Owned(text.into_owned()))
        }
    }
}

/// Reads a CSV file with a header row.
pub fn read(path: &Path, encoding: Encoding, delimiter: u8) -> Result<Table, ReadError> {
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
    parse(path, &bytes, encoding, delimiter)
}

/// Parses the bytes of a CSV file with a header row; `path` names the file in errors and in
/// the table (nothing is read from it).
pub fn parse(
    path: &Path,
    bytes: &[u8],
    encoding: Encoding,
    delimiter: u8,
) -> Result<Table, ReadError> {
    let text = decode(path, bytes, encoding)?;
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
    // Spreadsheet exports end the header with empty cells: a column without a name is
    // ignored as long as it holds no value (checked on every row below).
    for c in columns.iter().filter(|c| !c.is_empty()) {
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
    // Line numbers from the records' byte offsets, counted incrementally (the CSV reader's
    // own line count is one short in CRLF files).
    let (mut counted_to, mut line_at) = (0usize, 1usize);
    let tb = text.as_bytes();
    let mut line_of_offset = |offset: usize| {
        // In CRLF files a record's offset can point at the previous line's `\n`.
        let mut offset = offset.min(tb.len());
        while offset < tb.len() && (tb[offset] == b'\r' || tb[offset] == b'\n') {
            offset += 1;
        }
        if offset >= counted_to {
            line_at += tb[counted_to..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = offset;
        }
        line_at
    };
    // The named columns: (index in the record, index in `names`).
    let named: Vec<(usize, u32)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .enumerate()
        .map(|(n, (k, _))| (k, n as u32))
        .collect();
    let names: Arc<[String]> = columns
        .iter()
        .filter(|c| !c.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut record = csv::StringRecord::new();
    let mut i = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
                return Err(ReadError::at(
                    path,
                    format!("line {line}"),
                    None,
                    format!("malformed CSV: {e}"),
                ));
            }
        }
        let line = record
            .position()
            .map_or(0, |p| line_of_offset(p.byte() as usize));
        for (k, (name, value)) in columns.iter().zip(record.iter()).enumerate() {
            if name.is_empty() && !value.trim().is_empty() {
                return Err(ReadError::at(
                    path,
                    format!("row {} (line {line})", i + 1),
                    None,
                    format!(
                        "column {} has no name in the header but holds '{value}'; name it in the header row",
                        k + 1
                    ),
                ));
            }
        }
        let mut row = Row::empty(Location::Row { row: i + 1, line });
        row.set_names(names.clone());
        row.text.reserve(record.as_slice().len());
        row.values.reserve(named.len());
        for &(k, n) in &named {
            if let Some(v) = record.get(k) {
                row.push(n, v, None);
            }
        }
        rows.push(row);
        i += 1;
    }
    if rows.is_empty() {
        return Err(ReadError::file(
            path,
            "the file has a header but no data rows",
        ));
    }
    Ok(Table {
        file: path.to_path_buf(),
        columns: Some(columns.into_iter().filter(|c| !c.is_empty()).collect()),
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

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn excel_trailing_empty_header_cells_are_ignored_but_values_under_them_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.csv", "id,name,,\r\n1,a,,\r\n2,b,,\r\n");
        let t = read(&p, Encoding::Utf8, b',').unwrap();
        assert_eq!(
            t.columns.as_deref(),
            Some(&["id".to_string(), "name".to_string()][..])
        );
        assert_eq!(t.rows[1].text("name"), Some("b"));
        let p = write(dir.path(), "b.csv", "id,name,,\n1,a,,\n2,b,x,\n");
        let e = read(&p, Encoding::Utf8, b',').unwrap_err();
        assert_eq!(e.location.as_deref(), Some("row 2 (line 3)"), "{e}");
        assert!(e.problem.contains("column 3 has no name"), "{e}");
    }

    #[test]
    fn line_numbers_are_right_in_crlf_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "c.csv", "id,name\r\n1,a\r\n2,b\r\n3,c\r\n");
        let t = read(&p, Encoding::Utf8, b',').unwrap();
        let locations: Vec<String> = t.rows.iter().map(|r| r.location.to_string()).collect();
        assert_eq!(
            locations,
            ["row 1 (line 2)", "row 2 (line 3)", "row 3 (line 4)"]
        );
    }
}
