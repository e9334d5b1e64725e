//! Which OpenStreetMap ways a pedestrian may walk: every tag rule in one place.
//!
//! The rules follow OSMnx's `network_type="walk"` filter (a widely used reference), with
//! the access rules the law implies:
//!
//! 1. The way has a `highway` tag and is not an area (`area=yes`).
//! 2. `highway` is none of: motorway and motorway_link (no pedestrians by law), cycleway,
//!    bus_guideway, raceway, construction, proposed, planned, abandoned, razed, platform, no.
//! 3. `motorroad=yes` (expressways, e.g. elevated roads) excludes the way.
//! 4. `foot=no` / `foot=private` exclude it; `foot=yes|designated|permissive` admits it
//!    whatever `access` says.
//! 5. Otherwise `access=private` / `access=no` exclude it, and so does `service=private`.
//!
//! One-way streets are walkable both ways (`oneway` is ignored), as are steps.

/// `highway` values that are never walkable.
pub const EXCLUDED_HIGHWAYS: [&str; 12] = [
    "motorway",
    "motorway_link",
    "cycleway",
    "bus_guideway",
    "raceway",
    "construction",
    "proposed",
    "planned",
    "abandoned",
    "razed",
    "platform",
    "no",
];

/// Why a way is not walkable, or `None` when it is.
pub fn exclusion(tags: &[(String, String)]) -> Option<&'static str> {
    let tag = |k: &str| {
        tags.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let Some(highway) = tag("highway") else {
        return Some("no highway tag");
    };
    if tag("area") == Some("yes") {
        return Some("area=yes");
    }
    if EXCLUDED_HIGHWAYS.contains(&highway) {
        return Some(match highway {
            "motorway" | "motorway_link" => "motorway",
            "cycleway" => "cycleway",
            _ => "highway not in use or not a way",
        });
    }
    if tag("motorroad") == Some("yes") {
        return Some("motorroad=yes");
    }
    match tag("foot") {
        Some("no") | Some("private") => return Some("foot=no"),
        Some("yes") | Some("designated") | Some("permissive") => return None,
        _ => {}
    }
    if matches!(tag("access"), Some("private") | Some("no")) {
        return Some("access=private/no");
    }
    if tag("service") == Some("private") {
        return Some("service=private");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rules() {
        assert_eq!(exclusion(&tags(&[("highway", "footway")])), None);
        assert_eq!(
            exclusion(&tags(&[("highway", "residential"), ("oneway", "yes")])),
            None
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "motorway")])),
            Some("motorway")
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "primary"), ("foot", "no")])),
            Some("foot=no")
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "service"), ("access", "private")])),
            Some("access=private/no")
        );
        assert_eq!(
            exclusion(&tags(&[
                ("highway", "service"),
                ("access", "private"),
                ("foot", "yes")
            ])),
            None
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "trunk"), ("motorroad", "yes")])),
            Some("motorroad=yes")
        );
        assert_eq!(
            exclusion(&tags(&[("building", "yes")])),
            Some("no highway tag")
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "pedestrian"), ("area", "yes")])),
            Some("area=yes")
        );
    }
}
