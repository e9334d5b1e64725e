//! The OSM XML reader on arbitrary bytes: plain, or — when the input starts with their
//! magic bytes — gzip or bzip2 compressed.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::io::osm::read_osm_from;

fuzz_target!(|data: &[u8]| {
    let path = Path::new(if data.starts_with(&[0x1f, 0x8b]) {
        "fuzz.osm.gz"
    } else if data.starts_with(b"BZh") {
        "fuzz.osm.bz2"
    } else {
        "fuzz.osm"
    });
    if let Err(e) = read_osm_from(path, std::io::Cursor::new(data)) {
        assert_eq!(e.file, path, "the error names another file: {e}");
    }
});
