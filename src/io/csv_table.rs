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

/// Line numbers of byte offsets in a text, counted incrementally (offsets must not go
/// back). The CSV reader's own line count is one short in CRLF files.
struct LineCounter<'t> {
    text: &'t [u8],
    counted_to: usize,
    line_at: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t [u8]) -> LineCounter<'t> {
        LineCounter {
            text,
            counted_to: 0,
            line_at: 1,
        }
    }

    /// The line (1-based) of the record starting at `offset`.
    fn line_of(&mut self, offset: usize) -> usize {
        let tb = self.text;
        // In CRLF files a record's offset can point at the previous line's `\n`.
        let mut offset = offset.min(tb.len());
        while offset < tb.len() && (tb[offset] == b'\r' || tb[offset] == b'\n') {
            offset += 1;
        }
        if offset >= self.counted_to {
            self.line_at += tb[self.counted_to..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.counted_to = offset;
        }
        self.line_at
    }
}

/// The first column without a name in the header that holds a value in `record`.
fn unnamed_value(columns: &[String], record: &csv::StringRecord) -> Option<usize> {
    columns
        .iter()
        .zip(record.iter())
        .position(|(name, value)| name.is_empty() && !value.trim().is_empty())
}

/// The row of a record: the values of the named columns (index in the record, name index).
fn row_of(
    record: &csv::StringRecord,
    location: Location,
    named: &[(usize, u32)],
    names: &Arc<[String]>,
) -> Row {
    let mut row = Row::empty(location);
    row.set_names(names.clone());
    row.text.reserve(record.as_slice().len());
    row.values.reserve(named.len());
    for &(k, n) in named {
        if let Some(v) = record.get(k) {
            row.push(n, v, None);
        }
    }
    row
}

/// Files from this size on are parsed in parallel ([`parse_parallel`]).
const PARALLEL_FROM_BYTES: usize = 4 << 20;

/// The data rows of a CSV without a quote character, parsed in parallel chunks of
/// whole lines (a record is then one line), numbered as the sequential parse numbers them.
/// `None` on any doubt (quotes, a record of the wrong length, a value under an unnamed
/// column): the sequential parse then runs and reports what is wrong.
fn parse_parallel(
    text: &str,
    delimiter: u8,
    columns: &[String],
    named: &[(usize, u32)],
    names: &Arc<[String]>,
) -> Option<Vec<Row>> {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    let b = text.as_bytes();
    if threads < 2 || b.contains(&b'"') {
        return None;
    }
    // The body: after the header line (line 1).
    let body_start = b.iter().position(|&c| c == b'\n')? + 1;
    let body = &b[body_start..];
    // Chunks ending after a newline.
    let chunks = threads * 4;
    let mut bounds = vec![0];
    for c in 1..chunks {
        let at = (c * body.len() / chunks).max(*bounds.last().unwrap());
        let end = body[at..]
            .iter()
            .position(|&x| x == b'\n')
            .map_or(body.len(), |k| at + k + 1);
        bounds.push(end);
    }
    bounds.push(body.len());
    bounds.dedup();
    // Each chunk's rows numbered within the chunk (row from 1, line from 1), and its newlines.
    let parsed: Vec<Option<(Vec<Row>, usize)>> = bounds
        .par_windows(2)
        .map(|w| {
            let chunk = &body[w[0]..w[1]];
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(chunk);
            let mut lines = LineCounter::new(chunk);
            let mut rows = Vec::new();
            let mut record = csv::StringRecord::new();
            while reader.read_record(&mut record).ok()? {
                if record.len() != columns.len() || unnamed_value(columns, &record).is_some() {
                    return None;
                }
                let line = lines.line_of(record.position()?.byte() as usize);
                let location = Location::Row {
                    row: rows.len() + 1,
                    line,
                };
                rows.push(row_of(&record, location, named, names));
            }
            let newlines = chunk.iter().filter(|&&x| x == b'\n').count();
            Some((rows, newlines))
        })
        .collect();
    // In the file: a chunk's first line is 2 + the newlines before it; its first row follows
    // the rows before it.
    let (mut first_line, mut first_row) = (2, 0);
    let mut all = Vec::with_capacity(parsed.iter().flatten().map(|p| p.0.len()).sum());
    for part in parsed {
        let (rows, newlines) = part?;
        let n = rows.len();
        all.extend(rows.into_iter().map(|mut r| {
            if let Location::Row { row, line } = &mut r.location {
                *row += first_row;
                *line += first_line - 1;
            }
            r
        }));
        first_line += newlines;
        first_row += n;
    }
    Some(all)
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
    parse_from(path, bytes, encoding, delimiter, PARALLEL_FROM_BYTES)
}

/// [`parse`], in parallel from `parallel_from` bytes on.
fn parse_from(
    path: &Path,
    bytes: &[u8],
    encoding: Encoding,
    delimiter: u8,
    parallel_from: usize,
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
    let mut lines = LineCounter::new(text.as_bytes());
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
    let parallel = (text.len() >= parallel_from)
        .then(|| parse_parallel(&text, delimiter, &columns, &named, &names))
        .flatten();
    let rows = match parallel {
        Some(rows) => rows,
        None => {
            let mut rows = Vec::new();
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
                    .map_or(0, |p| lines.line_of(p.byte() as usize));
                if let Some(k) = unnamed_value(&columns, &record) {
                    return Err(ReadError::at(
                        path,
                        format!("row {} (line {line})", i + 1),
                        None,
                        format!(
                            "column {} has no name in the header but holds '{}'; name it in the header row",
                            k + 1,
                            &record[k]
                        ),
                    ));
                }
                rows.push(row_of(
                    &record,
                    Location::Row { row: i + 1, line },
                    &named,
                    &names,
                ));
                i += 1;
            }
            rows
        }
    };
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

    /// The parallel parse gives the sequential parse's rows: values and locations (row, line)
    /// with CRLF and LF lines, blank lines, an unnamed trailing column and a last line
    /// without a newline; a quote anywhere, a short record or a value under an unnamed
    /// column leaves the file to the sequential parse (and its errors).
    #[test]
    fn parallel_parse_gives_the_sequential_rows() {
        let mut text = String::from("id,name,n,\r\n");
        for i in 0..5000 {
            let end = if i % 3 == 0 { "\r\n" } else { "\n" };
            text.push_str(&format!("p{i},名{i},{},{end}", i * 7));
            if i % 97 == 0 {
                text.push('\n');
            }
        }
        text.push_str("last,end,1,");
        let p = Path::new("t.csv");
        let seq = parse_from(p, text.as_bytes(), Encoding::Utf8, b',', usize::MAX).unwrap();
        let par = parse_from(p, text.as_bytes(), Encoding::Utf8, b',', 0).unwrap();
        assert_eq!(seq.rows.len(), 5001);
        assert_eq!(seq.columns, par.columns);
        let view = |t: &Table| -> Vec<(String, Vec<(String, String)>)> {
            t.rows
                .iter()
                .map(|r| {
                    (
                        r.location.to_string(),
                        r.values().map(|(a, b)| (a.into(), b.into())).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(view(&seq), view(&par));
        assert_eq!(par.rows[5000].location.to_string(), "row 5001 (line 5054)");
        // Left to the sequential parse: its errors, with their lines.
        let names: Arc<[String]> = vec!["id".to_string()].into();
        let cols = ["id".to_string(), String::new()];
        for bad in ["id,\n1,\n\"2\",\n", "id,\n1,\n2\n", "id,\n1,\n2,x\n"] {
            assert!(
                parse_parallel(bad, b',', &cols, &[(0, 0)], &names).is_none(),
                "{bad}"
            );
        }
        let short = parse_from(p, b"id,\n1,\n2\n", Encoding::Utf8, b',', 0).unwrap_err();
        assert_eq!(short.location.as_deref(), Some("line 3"), "{short}");
    }

    /// On the real 26,105 geocoded Shanghai addresses (../shared, no quote characters): the
    /// parallel parse gives exactly the sequential parse's rows.
    #[test]
    fn parallel_parse_of_the_real_addresses_is_the_sequential_one() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/shanghai-2022-case-addresses-geocoded/geo.csv");
        let bytes = std::fs::read(&p).expect("../shared/data holds the geocoded addresses");
        let seq = parse_from(&p, &bytes, Encoding::Utf8, b',', usize::MAX).unwrap();
        let par = parse_from(&p, &bytes, Encoding::Utf8, b',', 0).unwrap();
        assert_eq!(seq.rows.len(), 26_105);
        assert_eq!(seq.columns, par.columns);
        for (a, b) in seq.rows.iter().zip(&par.rows) {
            assert_eq!(a.location, b.location);
            assert!(a.values().eq(b.values()), "{}", a.location);
        }
        assert_eq!(seq.rows.len(), par.rows.len());
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
