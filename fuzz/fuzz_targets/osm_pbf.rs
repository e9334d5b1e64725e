//! The OSM PBF reader on arbitrary bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::io::osm::read_osm_from;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.osm.pbf");
    if let Err(e) = read_osm_from(path, std::io::Cursor::new(data)) {
        assert_eq!(e.file, path, "the error names another file: {e}");
    }
});
