//! GeoJSON input (RFC 7946): a FeatureCollection, a single Feature, or — as real files
//! often are — a bare geometry object carrying a `properties` member.

use std::path::Path;

use geo::Geometry;
use serde_json::Value;

use crate::io::{Location, ReadError, Row, Table};

/// Text of a property value: strings as they are, numbers and booleans printed, null blank.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn position(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
}

/// Checks that every linear ring of a Polygon/MultiPolygon geometry object has at least four
/// positions and ends where it starts (RFC 7946 §3.1.6).
fn check_rings(geometry: &Value) -> Result<(), String> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geometry.get("coordinates");
    let polygons: Vec<&Value> = match (kind, coords) {
        ("Polygon", Some(c)) => vec![c],
        ("MultiPolygon", Some(Value::Array(ps))) => ps.iter().collect(),
        ("GeometryCollection", _) => {
            for g in geometry
                .get("geometries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                check_rings(g)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    for (pi, poly) in polygons.iter().enumerate() {
        for (ri, ring) in poly.as_array().into_iter().flatten().enumerate() {
            let pts = ring.as_array().map(Vec::as_slice).unwrap_or(&[]);
            let what = if kind == "MultiPolygon" {
                format!("polygon {pi}, ring {ri}")
            } else {
                format!("ring {ri}")
            };
            if pts.len() < 4 {
                return Err(format!(
                    "{what} has {} positions; a closed ring needs at least 4",
                    pts.len()
                ));
            }
            let (first, last) = (position(&pts[0]), position(&pts[pts.len() - 1]));
            if first != last {
                return Err(format!(
                    "{what} does not close: first position {:?} ≠ last {:?}",
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every position of a geometry object has at least two numbers (RFC 7946
/// §3.1.1; the geojson crate indexes them unchecked, found by fuzzing).
fn check_positions(geometry: &Value) -> Result<(), String> {
    fn walk(v: &Value) -> Result<(), String> {
        let Some(items) = v.as_array() else {
            return Ok(());
        };
        if items.iter().any(Value::is_number) && items.len() < 2 {
            return Err(format!(
                "position {v} has {} number; a position needs longitude and latitude",
                items.len()
            ));
        }
        items.iter().try_for_each(walk)
    }
    if let Some(c) = geometry.get("coordinates") {
        walk(c)?;
    }
    for g in geometry
        .get("geometries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check_positions(g)?;
    }
    Ok(())
}

fn parse_geometry(v: &Value) -> Result<Geometry<f64>, String> {
    check_positions(v)?;
    check_rings(v)?;
    let g: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Geometry::<f64>::try_from(&g.value).map_err(|e| e.to_string())
}

/// Reads a GeoJSON file into rows (one per feature; "feature N" is 0-based).
pub fn read(path: &Path) -> Result<Table, ReadError> {
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
    parse_bytes(path, bytes)
}

/// A feature's geometry and properties as read, checked after the whole file parsed (so that
/// a syntax error anywhere is reported first, as a whole-file parse would).
struct Feature {
    /// The geometry, converted as the feature is read (`Ok(None)`: absent or null; `Err`:
    /// why it cannot be read, reported once the whole file parsed).
    geometry: Result<Option<Geometry<f64>>, String>,
    /// `Ok`: the properties (name index, text, number); `Err`: not an object.
    properties: Result<Row, ()>,
}

/// Property names seen so far, interned.
#[derive(Default)]
struct Names {
    index: std::collections::HashMap<String, u32>,
    names: Vec<String>,
    /// The name last seen at each position of a properties object: features of one file
    /// mostly list the same properties in the same order, so a comparison replaces the
    /// hash lookup.
    recent: Vec<u32>,
}

impl Names {
    /// [`Names::of`] for the `position`-th member of a properties object.
    fn of_at(&mut self, position: usize, name: &str) -> u32 {
        if let Some(&i) = self.recent.get(position) {
            if self.names[i as usize] == name {
                return i;
            }
        }
        let i = self.of(name);
        if position < self.recent.len() {
            self.recent[position] = i;
        } else if position == self.recent.len() {
            self.recent.push(i);
        }
        i
    }

    fn of(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.index.insert(name.to_string(), i);
        self.names.push(name.to_string());
        i
    }
}

/// A property value, written straight into its row: its text as [`value_text`] gives it,
/// and the number of a JSON number (no `String` per value).
struct Property<'r> {
    row: &'r mut Row,
    name: u32,
}

impl<'de> serde::de::DeserializeSeed<'de> for Property<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        struct V<'r>(Property<'r>);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<(), E> {
                self.0.row.push_display(self.0.name, &b, None);
                Ok(())
            }
            fn visit_i64<E>(self, i: i64) -> Result<(), E> {
                self.0.row.push_display(self.0.name, &i, Some(i as f64));
                Ok(())
            }
            fn visit_u64<E>(self, u: u64) -> Result<(), E> {
                self.0.row.push_display(self.0.name, &u, Some(u as f64));
                Ok(())
            }
            fn visit_f64<E>(self, x: f64) -> Result<(), E> {
                let text = Value::from(x).to_string();
                self.0
                    .row
                    .push(self.0.name, &text, x.is_finite().then_some(x));
                Ok(())
            }
            fn visit_str<E>(self, s: &str) -> Result<(), E> {
                self.0.row.push(self.0.name, s, None);
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                self.0.row.push(self.0.name, "", None);
                Ok(())
            }
            fn visit_none<E>(self) -> Result<(), E> {
                self.0.row.push(self.0.name, "", None);
                Ok(())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, a: A) -> Result<(), A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(a))?;
                self.0.row.push_display(self.0.name, &v, None);
                Ok(())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<(), A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
                self.0.row.push_display(self.0.name, &v, None);
                Ok(())
            }
        }
        d.deserialize_any(V(self))
    }
}

/// The visitor methods of the JSON scalars but null (booleans, numbers, strings) for a
/// visitor that keeps any such value as a [`Value`] handed to `$wrap` (the visitors of
/// members whose objects or arrays are read field by field).
macro_rules! scalars_as_value {
    ($out:ty, $wrap:expr) => {
        fn visit_bool<E>(self, b: bool) -> Result<$out, E> {
            Ok($wrap(Value::Bool(b)))
        }
        fn visit_i64<E>(self, i: i64) -> Result<$out, E> {
            Ok($wrap(Value::from(i)))
        }
        fn visit_u64<E>(self, u: u64) -> Result<$out, E> {
            Ok($wrap(Value::from(u)))
        }
        fn visit_f64<E>(self, x: f64) -> Result<$out, E> {
            Ok($wrap(Value::from(x)))
        }
        fn visit_str<E>(self, s: &str) -> Result<$out, E> {
            Ok($wrap(Value::from(s)))
        }
    };
}

/// A geometry's `coordinates` as read: an array of numbers (a position) kept as numbers,
/// anything else as a JSON value (for [`geometry_of`]).
enum Coordinates {
    Numbers(Vec<f64>),
    Other(Value),
}

impl Coordinates {
    fn into_value(self) -> Value {
        match self {
            Coordinates::Numbers(n) => Value::Array(n.into_iter().map(Value::from).collect()),
            Coordinates::Other(v) => v,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Coordinates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// One element of an array: a number, or any other value.
        enum Element {
            Number(f64),
            Other(Value),
        }
        impl<'de> serde::Deserialize<'de> for Element {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(d)?;
                Ok(match v.as_f64() {
                    Some(x) if v.is_number() => Element::Number(x),
                    _ => Element::Other(v),
                })
            }
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Coordinates;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Coordinates, A::Error> {
                let mut numbers = Vec::with_capacity(2);
                while let Some(e) = a.next_element::<Element>()? {
                    match e {
                        Element::Number(x) => numbers.push(x),
                        Element::Other(v) => {
                            let mut all: Vec<Value> =
                                numbers.into_iter().map(Value::from).collect();
                            all.push(v);
                            while let Some(v) = a.next_element::<Value>()? {
                                all.push(v);
                            }
                            return Ok(Coordinates::Other(Value::Array(all)));
                        }
                    }
                }
                Ok(Coordinates::Numbers(numbers))
            }
            scalars_as_value!(Coordinates, Coordinates::Other);
            fn visit_unit<E>(self) -> Result<Coordinates, E> {
                Ok(Coordinates::Other(Value::Null))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Coordinates, A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
                Ok(Coordinates::Other(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A feature's `geometry` member, converted as it is read: a Point straight from its
/// numbers (no JSON tree), anything else through [`geometry_of`] on the same members.
struct GeometryMember;

impl<'de> serde::de::DeserializeSeed<'de> for GeometryMember {
    type Value = Result<Option<Geometry<f64>>, String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Result<Option<Geometry<f64>>, String>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut kind: Option<Value> = None;
                let mut coordinates: Option<Coordinates> = None;
                let mut others = serde_json::Map::new();
                while let Some(k) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    match k.as_ref() {
                        "type" => kind = Some(a.next_value()?),
                        "coordinates" => coordinates = Some(a.next_value()?),
                        _ => {
                            others.insert(k.into_owned(), a.next_value()?);
                        }
                    }
                }
                if let (Some(Value::String(t)), Some(Coordinates::Numbers(n))) =
                    (&kind, &coordinates)
                {
                    if t == "Point" && n.len() >= 2 && others.is_empty() {
                        return Ok(Ok(Some(Geometry::Point(geo::Point::new(n[0], n[1])))));
                    }
                }
                let mut object = serde_json::Map::new();
                if let Some(t) = kind {
                    object.insert("type".into(), t);
                }
                if let Some(c) = coordinates {
                    object.insert("coordinates".into(), c.into_value());
                }
                object.extend(others);
                Ok(geometry_of(&Value::Object(object)).map(Some))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Ok(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Ok(None))
            }
            scalars_as_value!(Self::Value, |v: Value| geometry_of(&v).map(Some));
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(a))?;
                Ok(geometry_of(&v).map(Some))
            }
        }
        d.deserialize_any(V)
    }
}

/// The properties member: an object of values, null, or anything else (an error later).
struct Properties<'n>(&'n std::cell::RefCell<Names>);

impl<'de> serde::de::DeserializeSeed<'de> for Properties<'_> {
    type Value = Result<Row, ()>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V<'n>(&'n std::cell::RefCell<Names>);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = Result<Row, ()>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Row::empty(Location::Feature(0));
                // As many values as the last object had (mostly exact: no regrowth, no slack).
                out.values.reserve_exact(self.0.borrow().recent.len());
                let mut position = 0;
                while let Some(k) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    let name = self.0.borrow_mut().of_at(position, &k);
                    position += 1;
                    a.next_value_seed(Property {
                        row: &mut out,
                        name,
                    })?;
                }
                Ok(Ok(out))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Ok(Row::empty(Location::Feature(0))))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Ok(Row::empty(Location::Feature(0))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Err(()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Err(()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Err(()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Err(()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Err(()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Err(()))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// One element of `features`: an object with geometry and properties, or anything else (a
/// feature without either, as `Value::get` on a non-object gives).
struct FeatureSeed<'n>(&'n std::cell::RefCell<Names>);

impl<'de> serde::de::DeserializeSeed<'de> for FeatureSeed<'_> {
    type Value = Feature;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Feature, D::Error> {
        struct V<'n>(&'n std::cell::RefCell<Names>);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = Feature;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Feature, A::Error> {
                let mut f = Feature {
                    geometry: Ok(None),
                    properties: Ok(Row::empty(Location::Feature(0))),
                };
                let mut seen_properties = false;
                while let Some(k) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    match k.as_ref() {
                        "geometry" => f.geometry = a.next_value_seed(GeometryMember)?,
                        "properties" => {
                            f.properties = a.next_value_seed(Properties(self.0))?;
                            seen_properties = true;
                        }
                        _ => {
                            a.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                let _ = seen_properties;
                Ok(f)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Feature, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(self.none())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Feature, E> {
                Ok(self.none())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Feature, E> {
                Ok(self.none())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Feature, E> {
                Ok(self.none())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Feature, E> {
                Ok(self.none())
            }
            fn visit_str<E>(self, _: &str) -> Result<Feature, E> {
                Ok(self.none())
            }
            fn visit_unit<E>(self) -> Result<Feature, E> {
                Ok(self.none())
            }
        }
        impl V<'_> {
            fn none(&self) -> Feature {
                Feature {
                    geometry: Ok(None),
                    properties: Ok(Row::empty(Location::Feature(0))),
                }
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// The `features` member: an array of features (streamed, no tree built), or anything else
/// kept as it is.
enum Features {
    /// In chunks (one per parallel parse; one for the sequential parse), in file order.
    List(Vec<Vec<Feature>>),
    Other(Value),
}

struct FeaturesSeed<'n>(&'n std::cell::RefCell<Names>);

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = Features;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Features, D::Error> {
        struct V<'n>(&'n std::cell::RefCell<Names>);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = Features;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Features, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(f) = a.next_element_seed(FeatureSeed(self.0))? {
                    out.push(f);
                }
                Ok(Features::List(vec![out]))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<Features, A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
                Ok(Features::Other(v))
            }
            scalars_as_value!(Features, Features::Other);
            fn visit_unit<E>(self) -> Result<Features, E> {
                Ok(Features::Other(Value::Null))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// The top level: its members, `features` streamed.
struct Root {
    members: serde_json::Map<String, Value>,
    features: Option<Features>,
}

struct RootSeed<'n>(&'n std::cell::RefCell<Names>);

impl<'de> serde::de::DeserializeSeed<'de> for RootSeed<'_> {
    type Value = Result<Root, Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V<'n>(&'n std::cell::RefCell<Names>);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = Result<Root, Value>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut root = Root {
                    members: serde_json::Map::new(),
                    features: None,
                };
                while let Some(k) = a.next_key::<String>()? {
                    if k == "features" {
                        root.features = Some(a.next_value_seed(FeaturesSeed(self.0))?);
                        // Keep the member's place (its value is not needed as a tree).
                        root.members.insert(k, Value::Null);
                    } else {
                        let v: Value = a.next_value()?;
                        root.members.insert(k, v);
                    }
                }
                Ok(Ok(root))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::Deserialize;
                let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(a))?;
                Ok(Err(v))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Err(Value::Bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
                Ok(Err(Value::from(i)))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
                Ok(Err(Value::from(u)))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Self::Value, E> {
                Ok(Err(Value::from(x)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Err(Value::from(s)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Err(Value::Null))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// A geometry: Points directly, others through the geojson crate (with the checks first).
fn geometry_of(g: &Value) -> Result<Geometry<f64>, String> {
    if g.get("type").and_then(Value::as_str) == Some("Point") {
        if let Some(Value::Array(c)) = g.get("coordinates") {
            if c.len() >= 2 && c.iter().all(Value::is_number) {
                if let (Some(x), Some(y)) = (c[0].as_f64(), c[1].as_f64()) {
                    return Ok(Geometry::Point(geo::Point::new(x, y)));
                }
            }
        }
    }
    parse_geometry(g)
}

/// Files from this size on parse their features in parallel ([`parse_parallel`]).
const PARALLEL_FROM_BYTES: usize = 4 << 20;

/// Where the root object's `features` array is: the offsets of its `[` and `]`, and of the
/// commas between its elements. `None` when the text is not an object with such an array
/// (the sequential parse then reads it, and reports what is wrong).
fn features_array(text: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = text.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut array: Option<(usize, usize)> = None; // ('[' offset, depth inside it)
    let mut commas = Vec::new();
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return None;
                }
                if depth == 1 && array.is_none() {
                    let key = &text[start..i];
                    i += 1;
                    skip_ws(&mut i);
                    if key == "features" && b.get(i) == Some(&b':') {
                        i += 1;
                        skip_ws(&mut i);
                        if b.get(i) != Some(&b'[') {
                            return None;
                        }
                        depth += 1;
                        array = Some((i, depth));
                    } else {
                        continue;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if let Some((open, inside)) = array {
                    if depth == inside {
                        return Some((open, i, commas));
                    }
                }
                depth = depth.checked_sub(1)?;
            }
            b',' => {
                if let Some((_, inside)) = array {
                    if depth == inside {
                        commas.push(i);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The parse of a large FeatureCollection with its features parsed in parallel chunks of
/// whole features (each with its own property names, merged in file order, so the rows are
/// those of the sequential parse). `None` on any doubt (not an object with a `features`
/// array, a chunk that does not parse): the sequential parse then runs and reports errors
/// with the file's own line and column.
fn parse_parallel(text: &str) -> Option<(Result<Root, Value>, std::cell::RefCell<Names>)> {
    parse_parallel_from(text, PARALLEL_FROM_BYTES)
}

/// [`parse_parallel`] for texts of at least `min_bytes`.
fn parse_parallel_from(
    text: &str,
    min_bytes: usize,
) -> Option<(Result<Root, Value>, std::cell::RefCell<Names>)> {
    use rayon::prelude::*;
    use serde::de::DeserializeSeed;
    let threads = rayon::current_num_threads();
    if text.len() < min_bytes || threads < 2 {
        return None;
    }
    let (open, close, commas) = features_array(text)?;
    // The root without its features, parsed as a whole (small).
    let rest = format!("{}[]{}", &text[..open], &text[close + 1..]);
    let names = std::cell::RefCell::new(Names::default());
    let mut de = serde_json::Deserializer::from_str(&rest);
    let root = RootSeed(&names).deserialize(&mut de).ok()?;
    de.end().ok()?;
    let mut root = root.ok()?;
    if !matches!(root.features, Some(Features::List(ref l)) if l.iter().all(Vec::is_empty)) {
        return None;
    }
    // Chunks of whole elements, each element parsed where it lies in the text (no copy):
    // element e runs from the separator before it to the one after it.
    let elements = commas.len() + 1;
    let chunks = (threads * 4).min(elements).max(1);
    let span = |e: usize| {
        let from = if e == 0 { open + 1 } else { commas[e - 1] + 1 };
        let to = if e + 1 == elements { close } else { commas[e] };
        &text[from..to]
    };
    let parsed: Vec<Option<(Vec<Feature>, Names)>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (first, end) = (c * elements / chunks, (c + 1) * elements / chunks);
            let names = std::cell::RefCell::new(Names::default());
            let mut list = Vec::with_capacity(end - first);
            for e in first..end {
                let body = span(e);
                if body.trim().is_empty() {
                    return None;
                }
                let mut de = serde_json::Deserializer::from_str(body);
                list.push(FeatureSeed(&names).deserialize(&mut de).ok()?);
                de.end().ok()?;
            }
            Some((list, names.into_inner()))
        })
        .collect();
    let mut all = Vec::with_capacity(chunks);
    let mut global = names.into_inner();
    for part in parsed {
        let (mut list, local) = part?;
        let map: Vec<u32> = local.names.iter().map(|n| global.of(n)).collect();
        for f in &mut list {
            if let Ok(row) = &mut f.properties {
                for v in &mut row.values {
                    v.name = map[v.name as usize];
                }
            }
        }
        all.push(list);
    }
    root.features = Some(Features::List(all));
    Some((Ok(root), std::cell::RefCell::new(global)))
}

/// Parses the bytes of a GeoJSON file into rows; `path` names the file in errors and in the
/// table (nothing is read from it). A FeatureCollection's features are streamed: no JSON
/// tree of the whole file is built.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Table, ReadError> {
    parse_bytes(path, bytes)
}

/// [`parse`] of bytes it owns (a `Vec<u8>`) or borrows; owned bytes are freed once the
/// features are parsed, before the rows are made (less peak memory for a large file).
fn parse_bytes<B: AsRef<[u8]>>(path: &Path, bytes: B) -> Result<Table, ReadError> {
    use serde::de::DeserializeSeed;
    let (root, names) = {
        let text = crate::io::csv_table::decode(path, bytes.as_ref(), crate::plan::Encoding::Utf8)?;
        if text.trim().is_empty() {
            return Err(ReadError::file(path, "the file is empty; expected GeoJSON"));
        }
        let json_error = |e: serde_json::Error| {
            ReadError::at(
                path,
                format!("line {}, column {}", e.line(), e.column()),
                None,
                format!("not valid JSON: {e}"),
            )
        };
        match parse_parallel(&text) {
            Some(parsed) => parsed,
            None => {
                let names = std::cell::RefCell::new(Names::default());
                let mut de = serde_json::Deserializer::from_str(&text);
                let root = RootSeed(&names).deserialize(&mut de).map_err(json_error)?;
                de.end().map_err(json_error)?;
                (root, names)
            }
        }
    };
    drop(bytes);
    let (members, features) = match root {
        Ok(r) => (Value::Object(r.members), r.features),
        Err(v) => (v, None),
    };
    let kind = members
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let features: Vec<Vec<Feature>> = match kind.as_str() {
        "FeatureCollection" => match features {
            Some(Features::List(list)) => list,
            _ => {
                return Err(ReadError::file(
                    path,
                    "FeatureCollection without a 'features' array",
                ))
            }
        },
        "Feature" | "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
        | "MultiPolygon" | "GeometryCollection" => {
            // A single feature or geometry: read as a whole (small).
            let mut root = members;
            if let (Value::Object(m), Some(f)) = (&mut root, features) {
                m.insert(
                    "features".into(),
                    match f {
                        Features::Other(v) => v,
                        Features::List(_) => Value::Null,
                    },
                );
            }
            let (geometry, properties) = if kind == "Feature" {
                (root.get("geometry").cloned(), root.get("properties").cloned())
            } else {
                (Some(root.clone()), root.get("properties").cloned())
            };
            let properties = match properties {
                None | Some(Value::Null) => Ok(Row::empty(Location::Feature(0))),
                Some(Value::Object(m)) => {
                    let mut row = Row::empty(Location::Feature(0));
                    for (k, v) in m {
                        let number = v.as_f64();
                        row.push(names.borrow_mut().of(&k), &value_text(&v), number);
                    }
                    Ok(row)
                }
                Some(_) => Err(()),
            };
            vec![vec![Feature {
                geometry: match geometry.filter(|g| !g.is_null()) {
                    None => Ok(None),
                    Some(g) => geometry_of(&g).map(Some),
                },
                properties,
            }]]
        }
        other => {
            return Err(ReadError::file(
                path,
                format!("top-level \"type\" is '{other}'; expected FeatureCollection, Feature or a geometry"),
            ))
        }
    };
    let count: usize = features.iter().map(Vec::len).sum();
    if count == 0 {
        return Err(ReadError::file(
            path,
            "the FeatureCollection has no features",
        ));
    }
    let names: std::sync::Arc<[String]> = names.into_inner().names.into();
    let mut rows = Vec::with_capacity(count);
    // Chunk by chunk, each freed once its rows are made (no second copy of the features).
    for (i, f) in features.into_iter().flat_map(Vec::into_iter).enumerate() {
        let location = Location::Feature(i);
        let geometry = f
            .geometry
            .map_err(|p| ReadError::at(path, &location, Some("geometry"), p))?;
        let Ok(mut row) = f.properties else {
            return Err(ReadError::at(
                path,
                &location,
                Some("properties"),
                "expected an object",
            ));
        };
        row.location = location;
        row.set_names(names.clone());
        row.geometry = geometry;
        row.text.shrink_to_fit();
        rows.push(row);
    }
    Ok(Table {
        file: path.to_path_buf(),
        columns: None,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the parallel parse are those of the sequential one: values, numbers,
    /// geometry, in order, with strings holding quotes, braces, brackets and commas, nested
    /// properties, null properties and geometries, and a member after `features`.
    #[test]
    fn parallel_parse_gives_the_sequential_rows() {
        let mut text =
            String::from("{\"type\": \"FeatureCollection\", \"name\": \"t\",\n \"features\": [\n");
        for i in 0..2000 {
            if i > 0 {
                text.push_str(",\n");
            }
            let props = match i % 5 {
                0 => format!("{{\"id\": \"c{i}\", \"n\": {i}, \"s\": \"a \\\"q\\\" {{[,]}}\"}}"),
                1 => format!(
                    "{{\"id\": \"c{i}\", \"x{}\": [1, {{\"k\": \"]\"}}], \"b\": true}}",
                    i % 7
                ),
                2 => "null".to_string(),
                3 => format!("{{\"id\": \"c{i}\", \"f\": {}.5}}", i),
                _ => format!("{{\"名称\": \"设施{i}\"}}"),
            };
            let geometry = if i % 11 == 0 {
                "null".to_string()
            } else {
                format!("{{\"type\": \"Point\", \"coordinates\": [121.{i}, 31.{i}]}}")
            };
            text.push_str(&format!(
                "{{\"type\": \"Feature\", \"properties\": {props}, \"geometry\": {geometry}}}"
            ));
        }
        text.push_str("\n], \"crs\": {\"type\": \"name\"}}\n");
        let (root, names) = parse_parallel_from(&text, 0).expect("the parallel parse");
        let names_p = names.into_inner().names;
        let Ok(Root {
            features: Some(Features::List(par)),
            members,
        }) = root
        else {
            panic!("no features");
        };
        assert_eq!(
            members.get("type").and_then(Value::as_str),
            Some("FeatureCollection")
        );
        assert!(members.contains_key("crs"));
        use serde::de::DeserializeSeed;
        let names = std::cell::RefCell::new(Names::default());
        let mut de = serde_json::Deserializer::from_str(&text);
        let Ok(Root {
            features: Some(Features::List(seq)),
            ..
        }) = RootSeed(&names).deserialize(&mut de).unwrap()
        else {
            panic!("no features");
        };
        let (par, seq): (Vec<Feature>, Vec<Feature>) = (
            par.into_iter().flatten().collect(),
            seq.into_iter().flatten().collect(),
        );
        let names_s = names.into_inner().names;
        assert_eq!(par.len(), 2000);
        assert_eq!(par.len(), seq.len());
        let values = |row: &Row, names: &[String]| -> Vec<(String, String, Option<f64>)> {
            row.values
                .iter()
                .map(|v| {
                    (
                        names[v.name as usize].clone(),
                        row.text[v.start as usize..v.end as usize].to_string(),
                        v.number,
                    )
                })
                .collect()
        };
        for (a, b) in par.iter().zip(&seq) {
            assert_eq!(a.geometry, b.geometry);
            match (&a.properties, &b.properties) {
                (Ok(x), Ok(y)) => assert_eq!(values(x, &names_p), values(y, &names_s)),
                (x, y) => assert_eq!(x.is_ok(), y.is_ok()),
            }
        }
        // Not a FeatureCollection object, or broken JSON: left to the sequential parse.
        assert!(parse_parallel_from("[1, 2]", 0).is_none());
        assert!(parse_parallel_from(&text[..text.len() / 2], 0).is_none());
        let broken = text.replacen("\"n\": 5,", "\"n\": 5,,", 1);
        assert!(parse_parallel_from(&broken, 0).is_none());
    }
    use serde_json::json;

    #[test]
    fn unclosed_rings_are_found() {
        let open = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]});
        let err = check_rings(&open).unwrap_err();
        assert!(err.contains("does not close"), "{err}");
        let short = json!({"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[0,0]]]]});
        assert!(check_rings(&short)
            .unwrap_err()
            .contains("polygon 0, ring 0 has 3"));
        let ok = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]});
        assert!(check_rings(&ok).is_ok());
    }
}
