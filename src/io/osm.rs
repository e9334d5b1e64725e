//! OpenStreetMap input: `.osm.pbf` (osmpbf) and `.osm` XML (quick-xml), read into node
//! positions and the ways that carry a `highway` tag.

use std::io::BufRead;
use std::path::Path;

use geo::Coord;
use quick_xml::events::{BytesStart, Event};

use crate::io::ReadError;
use crate::network::{OsmData, OsmWay};

/// Reads an OSM file, PBF or XML by extension.
pub fn read_osm(path: &Path) -> Result<OsmData, ReadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let data = if name.ends_with(".pbf") {
        read_pbf(path)?
    } else if name.ends_with(".osm") || name.ends_with(".xml") {
        let file = std::fs::File::open(path)
            .map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
        read_xml(path, std::io::BufReader::new(file))?
    } else {
        return Err(ReadError::file(
            path,
            "unknown OSM file type; expected .osm.pbf or .osm (XML); decompress .bz2/.gz first",
        ));
    };
    if data.ways.is_empty() {
        return Err(ReadError::file(
            path,
            "no ways with a highway tag: not a street network",
        ));
    }
    Ok(data)
}

fn read_pbf(path: &Path) -> Result<OsmData, ReadError> {
    use osmpbf::{Element, ElementReader};
    let reader = ElementReader::from_path(path)
        .map_err(|e| ReadError::file(path, format!("cannot open as OSM PBF: {e}")))?;
    let mut data = OsmData::default();
    reader
        .for_each(|element| match element {
            Element::Node(n) => {
                data.nodes.insert(
                    n.id(),
                    Coord {
                        x: n.lon(),
                        y: n.lat(),
                    },
                );
            }
            Element::DenseNode(n) => {
                data.nodes.insert(
                    n.id(),
                    Coord {
                        x: n.lon(),
                        y: n.lat(),
                    },
                );
            }
            Element::Way(w) => {
                let tags: Vec<(String, String)> = w
                    .tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                if tags.iter().any(|(k, _)| k == "highway") {
                    data.ways.push(OsmWay {
                        id: w.id(),
                        nodes: w.refs().collect(),
                        tags,
                    });
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| ReadError::file(path, format!("corrupt OSM PBF: {e}")))?;
    Ok(data)
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

/// Reads OSM XML from `input` (`path` names it in errors).
pub fn read_xml(path: &Path, input: impl BufRead) -> Result<OsmData, ReadError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut data = OsmData::default();
    let mut way: Option<OsmWay> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            ReadError::at(
                path,
                format!("byte {}", reader.buffer_position()),
                None,
                format!("malformed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                b"node" => {
                    let id: i64 = number(path, e, b"id", "node")?;
                    let lat: f64 = number(path, e, b"lat", "node")?;
                    let lon: f64 = number(path, e, b"lon", "node")?;
                    data.nodes.insert(id, Coord { x: lon, y: lat });
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
