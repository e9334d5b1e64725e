//! The GeoJSON reader on arbitrary bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::io::geojson_table;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.geojson");
    if let Err(e) = geojson_table::parse(path, data) {
        assert_eq!(e.file, path, "the error names another file: {e}");
    }
});
