//! The CSV reader on arbitrary bytes: as UTF-8 with commas and as GBK with semicolons.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::io::csv_table;
use lifecircle::plan::Encoding;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.csv");
    for (encoding, delimiter) in [(Encoding::Utf8, b','), (Encoding::Gbk, b';')] {
        if let Err(e) = csv_table::parse(path, data, encoding, delimiter) {
            assert_eq!(e.file, path, "the error names another file: {e}");
        }
    }
});
