//! OpenStreetMap input: `.osm.pbf` (osmpbf) and `.osm` XML (quick-xml), plain or compressed
//! (`.osm.bz2`, `.osm.gz`), read into node positions and the ways that carry a `highway`
//! tag. A file cut short is an error naming it, never a smaller network: XML must close its
//! root element, and a PBF's blobs must fill the file exactly.

use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::Path;

use geo::Coord;
use quick_xml::events::{BytesStart, Event};

use crate::io::ReadError;
use crate::network::{OsmData, OsmWay};

/// The kinds of OSM file, by extension.
#[derive(Clone, Copy)]
enum OsmKind {
    Pbf,
    Xml,
    XmlBz2,
    XmlGz,
}

impl OsmKind {
    fn of(path: &Path) -> Result<OsmKind, ReadError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let xml = |stem: &str| stem.ends_with(".osm") || stem.ends_with(".xml");
        if name.ends_with(".pbf") {
            Ok(OsmKind::Pbf)
        } else if xml(&name) {
            Ok(OsmKind::Xml)
        } else if name.strip_suffix(".bz2").is_some_and(xml) {
            Ok(OsmKind::XmlBz2)
        } else if name.strip_suffix(".gz").is_some_and(xml) {
            Ok(OsmKind::XmlGz)
        } else {
            Err(ReadError::file(
                path,
                "unknown OSM file type; expected .osm.pbf, .osm (XML), .osm.bz2 or .osm.gz",
            ))
        }
    }
}

/// Reads an OSM file by extension: `.pbf`, `.osm` / `.xml`, or those XML files compressed
/// as `.bz2` or `.gz`.
pub fn read_osm(path: &Path) -> Result<OsmData, ReadError> {
    let kind = OsmKind::of(path)?;
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
    read_kind(path, kind, std::io::BufReader::new(file))
}

/// Reads OSM data from `input`, of the type `path`'s extension names (as [`read_osm`]);
/// `path` names the file in errors (nothing is read from it).
pub fn read_osm_from(path: &Path, input: impl BufRead + Seek + Send) -> Result<OsmData, ReadError> {
    read_kind(path, OsmKind::of(path)?, input)
}

fn read_kind(
    path: &Path,
    kind: OsmKind,
    input: impl BufRead + Seek + Send,
) -> Result<OsmData, ReadError> {
    let data = match kind {
        OsmKind::Pbf => read_pbf_from(path, input)?,
        OsmKind::Xml => read_xml(path, input)?,
        OsmKind::XmlBz2 => {
            let decoder = bzip2::read::MultiBzDecoder::new(input);
            read_xml(path, std::io::BufReader::new(decoder))?
        }
        OsmKind::XmlGz => {
            let decoder = flate2::read::MultiGzDecoder::new(input);
            read_xml(path, std::io::BufReader::new(decoder))?
        }
    };
    if data.ways.is_empty() {
        return Err(ReadError::file(
            path,
            "no ways with a highway tag: not a street network",
        ));
    }
    Ok(data)
}

/// Checks that the PBF's blobs fill the input exactly (`len` bytes): each blob header names
/// the size of its blob, so a file cut anywhere but between blobs ends before a blob does,
/// and a file with a few bytes after its last blob (osmpbf reads 1–3 such bytes as the end)
/// is corrupt.
fn check_pbf_framing(
    path: &Path,
    input: impl Read + Seek + Send,
    len: u64,
) -> Result<(), ReadError> {
    let mut blobs = osmpbf::BlobReader::new_seekable(input)
        .map_err(|e| ReadError::file(path, format!("cannot open as OSM PBF: {e}")))?;
    let mut end = 0u64;
    while let Some(next) = blobs.next_header_skip_blob() {
        let (header, offset) = next.map_err(|e| {
            ReadError::at(
                path,
                format!("byte {end}"),
                None,
                format!("corrupt or truncated OSM PBF: {e}"),
            )
        })?;
        // A negative size would seek back to this header and read it for ever.
        if header.get_blob_size() < 0 {
            return Err(ReadError::at(
                path,
                format!("byte {}", offset.map_or(end, |o| o.0)),
                None,
                format!(
                    "corrupt OSM PBF: a blob header gives a negative size ({} bytes)",
                    header.get_blob_size()
                ),
            ));
        }
        end = blobs
            .seek_raw(std::io::SeekFrom::Current(0))
            .map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
        if end > len {
            return Err(ReadError::at(
                path,
                format!("byte {}", offset.map_or(0, |o| o.0)),
                None,
                format!(
                    "truncated OSM PBF: its last blob ({} bytes of data) ends at byte {end}, \
                     the file at byte {len}",
                    header.get_blob_size()
                ),
            ));
        }
    }
    if end != len {
        return Err(ReadError::at(
            path,
            format!("byte {end}"),
            None,
            format!(
                "truncated or corrupt OSM PBF: {} bytes after the last complete blob",
                len - end
            ),
        ));
    }
    Ok(())
}

/// Reads an OSM PBF from `input` (`path` names it in errors): its framing is checked first
/// (see [`check_pbf_framing`]), then its elements are read from the start.
pub fn read_pbf_from(
    path: &Path,
    mut input: impl Read + Seek + Send,
) -> Result<OsmData, ReadError> {
    use osmpbf::{Element, ElementReader};
    let io_err = |e: std::io::Error| ReadError::file(path, format!("cannot read: {e}"));
    let len = input.seek(SeekFrom::End(0)).map_err(io_err)?;
    input.rewind().map_err(io_err)?;
    check_pbf_framing(path, &mut input, len)?;
    input.rewind().map_err(io_err)?;
    let reader = ElementReader::new(input);
    let mut data = OsmData::default();
    // The first node not on the Earth (osmpbf's offset + granularity × value wraps on
    // corrupt input: `overflow-checks = false` for it in Cargo.toml).
    let mut bad_node: Option<(i64, String)> = None;
    let mut node = |id: i64, lon: f64, lat: f64| match node_position(lon, lat) {
        Ok(c) => {
            data.nodes.insert(id, c);
        }
        Err(problem) => {
            bad_node.get_or_insert((id, problem));
        }
    };
    let mut ways = Vec::new();
    reader
        .for_each(|element| match element {
            Element::Node(n) => node(n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => node(n.id(), n.lon(), n.lat()),
            Element::Way(w) => {
                let tags: Vec<(String, String)> = w
                    .tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                if tags.iter().any(|(k, _)| k == "highway") {
                    ways.push(OsmWay {
                        id: w.id(),
                        nodes: w.refs().collect(),
                        tags,
                    });
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| ReadError::file(path, format!("corrupt OSM PBF: {e}")))?;
    if let Some((id, problem)) = bad_node {
        return Err(ReadError::at(
            path,
            format!("node {id}"),
            None,
            format!("corrupt OSM PBF: {problem}"),
        ));
    }
    data.ways = ways;
    Ok(data)
}

/// A node's position, if it is one: longitude in [-180, 180] and latitude in [-90, 90].
fn node_position(lon: f64, lat: f64) -> Result<Coord, String> {
    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
        Ok(Coord { x: lon, y: lat })
    } else {
        Err(format!(
            "position lat {lat}, lon {lon} is not on the Earth (latitude must lie in \
             [-90, 90], longitude in [-180, 180])"
        ))
    }
}

fn attr(path: &Path, e: &BytesStart, key: &[u8]) -> Result<Option<String>, ReadError> {
    for a in e.attributes() {
        let a =
            a.map_err(|err| ReadError::file(path, format!("malformed XML attribute: {err}")))?;
        if a.key.as_ref() == key {
            let v = a
                .unescape_value()
                .map_err(|err| ReadError::file(path, format!("malformed XML value: {err}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn number<T: std::str::FromStr>(
    path: &Path,
    e: &BytesStart,
    key: &[u8],
    what: &str,
) -> Result<T, ReadError> {
    let v = attr(path, e, key)?.ok_or_else(|| {
        ReadError::file(
            path,
            format!("<{what}> without {}", String::from_utf8_lossy(key)),
        )
    })?;
    v.parse().map_err(|_| {
        ReadError::file(
            path,
            format!(
                "<{what}> {}='{v}' is not a number",
                String::from_utf8_lossy(key)
            ),
        )
    })
}

/// Reads OSM XML from `input` (`path` names it in errors). The document must be complete:
/// input that ends before its root element (`<osm>`) closes is an error, whether it was cut
/// inside a tag or between elements.
pub fn read_xml(path: &Path, input: impl BufRead) -> Result<OsmData, ReadError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut data = OsmData::default();
    let mut way: Option<OsmWay> = None;
    // The elements open at this point, outermost first, and whether the root has closed.
    let mut open: Vec<String> = Vec::new();
    let mut root_closed = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| match &e {
            // Reading failed, not parsing: for a compressed file, a cut or corrupt stream.
            quick_xml::Error::Io(io) => ReadError::file(
                path,
                format!("cannot read (truncated or corrupt compressed file?): {io}"),
            ),
            _ => ReadError::at(
                path,
                format!("byte {}", reader.buffer_position()),
                None,
                match &e {
                    quick_xml::Error::Syntax(_) => format!("malformed or truncated XML: {e}"),
                    _ => format!("malformed XML: {e}"),
                },
            ),
        })?;
        match &event {
            Event::Start(e) => {
                if open.is_empty() && root_closed {
                    return Err(ReadError::at(
                        path,
                        format!("byte {}", reader.buffer_position()),
                        None,
                        "malformed XML: a second root element",
                    ));
                }
                open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Event::End(_) => {
                open.pop();
                root_closed |= open.is_empty();
            }
            Event::Empty(_) if open.is_empty() => root_closed = true,
            Event::Eof if !root_closed => {
                let problem = match open.as_slice() {
                    [] => "empty or truncated OSM XML: no root element".to_string(),
                    [.., last] => format!(
                        "truncated OSM XML: it ends inside <{last}>, before the root \
                         element closes (no closing </osm>)"
                    ),
                };
                return Err(ReadError::file(path, problem));
            }
            _ => {}
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                b"node" => {
                    let id: i64 = number(path, e, b"id", "node")?;
                    let lat: f64 = number(path, e, b"lat", "node")?;
                    let lon: f64 = number(path, e, b"lon", "node")?;
                    let c = node_position(lon, lat).map_err(|problem| {
                        ReadError::at(path, format!("node {id}"), None, problem)
                    })?;
                    data.nodes.insert(id, c);
                }
                b"way" => {
                    way = Some(OsmWay {
                        id: number(path, e, b"id", "way")?,
                        nodes: Vec::new(),
                        tags: Vec::new(),
                    });
                    if matches!(event, Event::Empty(_)) {
                        way = None;
                    }
                }
                b"nd" => {
                    if let Some(w) = way.as_mut() {
                        w.nodes.push(number(path, e, b"ref", "nd")?);
                    }
                }
                b"tag" => {
                    if let Some(w) = way.as_mut() {
                        let k = attr(path, e, b"k")?.unwrap_or_default();
                        let v = attr(path, e, b"v")?.unwrap_or_default();
                        w.tags.push((k, v));
                    }
                }
                _ => {}
            },
            Event::End(ref e) if e.name().as_ref() == b"way" => {
                if let Some(w) = way.take() {
                    if w.tags.iter().any(|(k, _)| k == "highway") {
                        data.ways.push(w);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(data)
}

/// Escapes text for an XML attribute value.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes OSM data as OSM XML (nodes sorted by id, coordinates to 1e-7°), atomically.
pub fn write_xml(path: &Path, data: &OsmData, generator: &str) -> std::io::Result<()> {
    let mut ids: Vec<&i64> = data.nodes.keys().collect();
    ids.sort();
    crate::io::atomic::write_atomic(path, |w| {
        writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            w,
            "<osm version=\"0.6\" generator=\"{}\">",
            xml_escape(generator)
        )?;
        for id in ids {
            let c = data.nodes[id];
            writeln!(
                w,
                "  <node id=\"{id}\" lat=\"{:.7}\" lon=\"{:.7}\"/>",
                c.y, c.x
            )?;
        }
        for way in &data.ways {
            writeln!(w, "  <way id=\"{}\">", way.id)?;
            for n in &way.nodes {
                writeln!(w, "    <nd ref=\"{n}\"/>")?;
            }
            for (k, v) in &way.tags {
                writeln!(
                    w,
                    "    <tag k=\"{}\" v=\"{}\"/>",
                    xml_escape(k),
                    xml_escape(v)
                )?;
            }
            writeln!(w, "  </way>")?;
        }
        writeln!(w, "</osm>")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_ways_and_nodes() {
        let xml = r#"<?xml version="1.0"?><osm version="0.6">
<node id="1" lat="31.0" lon="121.0"/><node id="2" lat="31.001" lon="121.0"><tag k="x" v="y"/></node>
<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/><tag k="name" v="A &amp; B"/></way>
<way id="11"><nd ref="1"/><nd ref="2"/><tag k="building" v="yes"/></way></osm>"#;
        let d = read_xml(Path::new("t.osm"), xml.as_bytes()).unwrap();
        assert_eq!(d.nodes.len(), 2);
        assert_eq!(
            d.nodes[&2],
            Coord {
                x: 121.0,
                y: 31.001
            }
        );
        assert_eq!(d.ways.len(), 1);
        assert_eq!(d.ways[0].nodes, vec![1, 2]);
        assert!(d.ways[0].tags.contains(&("name".into(), "A & B".into())));
        let err = read_xml(
            Path::new("t.osm"),
            r#"<osm><node id="x" lat="1" lon="2"/></osm>"#.as_bytes(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("id='x' is not a number"), "{err}");
    }
}
