//! What the OSM data says about itself as a walking network, read off the figures the graph
//! build gathers in one pass ([`GraphStats`]): street length by `highway` value (a
//! drive-only export has no footways), and way-node references missing from the extract (a
//! clipped or broken file).

use geo::Coord;

use super::GraphStats;

/// `highway` values mapped mostly for people on foot (with `service`, the walkable service
/// ways: alleys, paths through estates), whose share of the walkable length tells a walking
/// network from a drive-only export.
pub const PEDESTRIAN_HIGHWAYS: [&str; 11] = [
    "footway",
    "path",
    "pedestrian",
    "steps",
    "living_street",
    "track",
    "bridleway",
    "corridor",
    "cycleway",
    "service",
    "elevator",
];

/// Below this share of pedestrian and service street length, the network looks drive-only.
pub const DRIVE_ONLY_BELOW_SHARE: f64 = 0.05;

/// Default detour factor: walks longer than 3 × the straight line (and 250 m more) are
/// reported as detours.
pub const DEFAULT_DETOUR_FACTOR: f64 = 3.0;

/// Above this share of missing way-node references, the extract looks clipped or broken.
pub const MISSING_REFS_ABOVE_SHARE: f64 = 0.01;

/// A walkable way with node references missing from the extract.
#[derive(Debug, Clone, PartialEq)]
pub struct WayWithMissingNodes {
    /// OSM way id.
    pub id: i64,
    /// References with no node in the file.
    pub missing: usize,
    /// The nodes that are there, WGS84 lon/lat degrees, in way order.
    pub present_lon_lat: Vec<Coord<f64>>,
}

impl GraphStats {
    /// Share of the walkable length on [`PEDESTRIAN_HIGHWAYS`] (`None` without length).
    pub fn pedestrian_share(&self) -> Option<f64> {
        let total: f64 = self.length_by_highway_m.values().sum();
        let ped: f64 = self
            .length_by_highway_m
            .iter()
            .filter(|(k, _)| PEDESTRIAN_HIGHWAYS.contains(&k.as_str()))
            .map(|(_, v)| v)
            .sum();
        (total > 0.0).then(|| ped / total)
    }

    /// Share of walkable way-node references missing from the file (`None` without ways).
    pub fn missing_share(&self) -> Option<f64> {
        (self.walkable_node_refs > 0)
            .then(|| self.missing_node_refs as f64 / self.walkable_node_refs as f64)
    }

    /// Whether the network looks drive-only (pedestrian share below
    /// [`DRIVE_ONLY_BELOW_SHARE`]).
    pub fn looks_drive_only(&self) -> bool {
        self.pedestrian_share()
            .is_some_and(|s| s < DRIVE_ONLY_BELOW_SHARE)
    }
}
