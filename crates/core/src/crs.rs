//! Coordinate reference systems: which CRS an input is in, conversion of Chinese web-map
//! coordinates (GCJ-02, BD-09) to WGS84, and the projected metric CRS every measurement is
//! made in.
//!
//! Inputs and GeoJSON outputs are WGS84 longitude/latitude in degrees (RFC 7946). All
//! distances and areas are computed in a projected CRS in metres, chosen explicitly: either an
//! EPSG code from the plan or, by default, the UTM zone that holds the study area. Projections
//! come from `proj4rs` (a Rust port of PROJ) with EPSG definitions from `crs-definitions`.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use proj4rs::proj::Proj;

/// Errors of this layer: unknown CRS names or codes, and points a projection cannot take.
#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    /// A CRS name that is none of the accepted spellings (the name as given).
    #[error("unknown CRS '{0}': expected WGS84, GCJ02, BD09, EPSG:<code> or (for the analysis CRS) auto")]
    UnknownName(String),
    /// An EPSG code that `crs-definitions` does not bundle.
    #[error("EPSG:{0} is not in the bundled EPSG definitions")]
    UnknownEpsg(u32),
    /// `proj4rs` rejected the code's PROJ definition.
    #[error("EPSG:{code} could not be set up: {reason}")]
    Setup {
        /// The EPSG code.
        code: u32,
        /// What `proj4rs` reported.
        reason: String,
    },
    /// The analysis CRS asked for is geographic (degrees), not projected.
    #[error(
        "EPSG:{code} is a geographic CRS (degrees); the analysis CRS must be projected in metres"
    )]
    NotProjected {
        /// The EPSG code (4326 when the plan says WGS84).
        code: u32,
    },
    /// The analysis CRS asked for is projected in a unit other than metres (e.g. US feet).
    #[error("EPSG:{code} has units '{units}'; only metres are supported")]
    NotMetres {
        /// The EPSG code.
        code: u32,
        /// The CRS's unit, as PROJ names it (e.g. `us-ft`).
        units: String,
    },
    /// A point the projection could not take, or whose result is not finite.
    #[error("cannot transform ({x}, {y}) with EPSG:{code}: {reason}")]
    Transform {
        /// The EPSG code of the projected CRS.
        code: u32,
        /// The input x: longitude in degrees (to the CRS) or easting in metres (from it).
        x: f64,
        /// The input y: latitude in degrees (to the CRS) or northing in metres (from it).
        y: f64,
        /// What went wrong.
        reason: String,
    },
}

/// The coordinate system an input file's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputCrs {
    /// WGS84 longitude/latitude in degrees (EPSG:4326), as OSM and GPS use. CGCS2000
    /// (EPSG:4490) is accepted as WGS84: the two differ by centimetres.
    Wgs84,
    /// GCJ-02, the obfuscated datum of Amap/Gaode and Tencent maps (degrees).
    Gcj02,
    /// BD-09, Baidu's further-offset variant of GCJ-02 (degrees).
    Bd09,
    /// A projected CRS given by EPSG code, with coordinates in metres.
    Epsg(u32),
}

impl InputCrs {
    /// Whether coordinates are longitude/latitude degrees (so range checks apply).
    pub fn is_geographic(self) -> bool {
        !matches!(self, InputCrs::Epsg(_))
    }
}

impl FromStr for InputCrs {
    type Err = CrsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        match norm.as_str() {
            "WGS84" | "EPSG:4326" | "CRS84" | "OGC:CRS84" | "CGCS2000" | "EPSG:4490" => {
                Ok(InputCrs::Wgs84)
            }
            "GCJ02" | "AMAP" | "GAODE" | "TENCENT" => Ok(InputCrs::Gcj02),
            "BD09" | "BD09LL" | "BAIDU" => Ok(InputCrs::Bd09),
            _ => match norm.strip_prefix("EPSG:").map(str::parse::<u32>) {
                Some(Ok(code)) => Ok(InputCrs::Epsg(code)),
                _ => Err(CrsError::UnknownName(s.to_string())),
            },
        }
    }
}

impl fmt::Display for InputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputCrs::Wgs84 => write!(f, "WGS84"),
            InputCrs::Gcj02 => write!(f, "GCJ-02"),
            InputCrs::Bd09 => write!(f, "BD-09"),
            InputCrs::Epsg(c) => write!(f, "EPSG:{c}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// GCJ-02 and BD-09
// ---------------------------------------------------------------------------------------

/// Semi-major axis of the Krasovsky 1940 ellipsoid the GCJ-02 offset formula uses (m).
const GCJ_A_M: f64 = 6_378_245.0;
/// First eccentricity squared of the same ellipsoid.
const GCJ_EE: f64 = 0.006_693_421_622_965_943;
/// The constant of the BD-09 formula (radians per degree × 3000).
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether a WGS84 point lies outside the rough box in which GCJ-02 applies an offset.
/// Outside it, GCJ-02 equals WGS84.
pub fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn gcj_offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn gcj_offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (degrees), the published forward formula.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let d_lat = gcj_offset_lat(lon - 105.0, lat - 35.0);
    let d_lon = gcj_offset_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((GCJ_A_M * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (GCJ_A_M / sqrt_magic * rad_lat.cos() * PI);
    (lon + d_lon, lat + d_lat)
}

/// Inverts `forward` at `target` by fixed-point iteration: the offsets vary slowly, so each
/// step removes almost all of the remaining error. Converges to 1e-10° (≈ 0.01 mm).
fn invert(target: (f64, f64), forward: impl Fn(f64, f64) -> (f64, f64)) -> (f64, f64) {
    let (mut lon, mut lat) = target;
    for _ in 0..30 {
        let (flon, flat) = forward(lon, lat);
        let (dlon, dlat) = (target.0 - flon, target.1 - flat);
        lon += dlon;
        lat += dlat;
        if dlon.abs() < 1e-10 && dlat.abs() < 1e-10 {
            break;
        }
    }
    (lon, lat)
}

/// GCJ-02 → WGS84 (degrees), the exact inverse of [`wgs84_to_gcj02`] found iteratively
/// (the common one-step approximation leaves 1–2 m of error).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert((lon, lat), wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (degrees), Baidu's published forward formula.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * BD_X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02 (degrees), exact inverse of [`gcj02_to_bd09`].
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert((lon, lat), gcj02_to_bd09)
}

/// Converts a geographic input coordinate to WGS84 lon/lat degrees. Projected inputs are
/// handled by [`Projection::to_wgs84`] instead.
pub fn geographic_to_wgs84(crs: InputCrs, lon: f64, lat: f64) -> (f64, f64) {
    match crs {
        InputCrs::Wgs84 | InputCrs::Epsg(_) => (lon, lat),
        InputCrs::Gcj02 => gcj02_to_wgs84(lon, lat),
        InputCrs::Bd09 => {
            let (glon, glat) = bd09_to_gcj02(lon, lat);
            gcj02_to_wgs84(glon, glat)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Projected CRSs
// ---------------------------------------------------------------------------------------

/// A projected CRS in metres, with transforms to and from WGS84 lon/lat degrees.
pub struct Projection {
    epsg: u32,
    name: String,
    proj: Proj,
    wgs84: Proj,
}

impl fmt::Debug for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Projection(EPSG:{} {})", self.epsg, self.name)
    }
}

/// The name in a WKT definition's first quoted string, e.g. "WGS 84 / UTM zone 51N".
fn wkt_name(wkt: &str) -> String {
    wkt.split('"').nth(1).unwrap_or("").to_string()
}

impl Projection {
    /// Sets up a projected metric CRS by EPSG code.
    pub fn from_epsg(code: u32) -> Result<Projection, CrsError> {
        let short = u16::try_from(code).map_err(|_| CrsError::UnknownEpsg(code))?;
        let def = crs_definitions::from_code(short).ok_or(CrsError::UnknownEpsg(code))?;
        let setup = |e: proj4rs::errors::Error| CrsError::Setup {
            code,
            reason: e.to_string(),
        };
        let proj = Proj::from_proj_string(def.proj4).map_err(setup)?;
        if proj.is_latlong() {
            return Err(CrsError::NotProjected { code });
        }
        if (proj.to_meter() - 1.0).abs() > 1e-12 {
            return Err(CrsError::NotMetres {
                code,
                units: proj.units().to_string(),
            });
        }
        let wgs84 = Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").map_err(setup)?;
        Ok(Projection {
            epsg: code,
            name: wkt_name(def.wkt),
            proj,
            wgs84,
        })
    }

    /// The WGS84 UTM zone (EPSG 326zz north, 327zz south) that holds a point: the usual
    /// automatic choice, with scale error under 0.04 % inside the zone.
    pub fn utm_for(lon: f64, lat: f64) -> Result<Projection, CrsError> {
        let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
        let code = if lat >= 0.0 {
            32600 + zone
        } else {
            32700 + zone
        };
        Projection::from_epsg(code)
    }

    /// The EPSG code of this CRS.
    pub fn epsg(&self) -> u32 {
        self.epsg
    }

    /// The CRS's name, e.g. "WGS 84 / UTM zone 51N".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// WGS84 lon/lat degrees → projected (x, y) metres.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, &self.proj, &mut p).map_err(|e| {
            CrsError::Transform {
                code: self.epsg,
                x: lon,
                y: lat,
                reason: e.to_string(),
            }
        })?;
        self.finite(p.0, p.1, lon, lat)
    }

    /// Projected (x, y) metres → WGS84 lon/lat degrees.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&self.proj, &self.wgs84, &mut p).map_err(|e| {
            CrsError::Transform {
                code: self.epsg,
                x,
                y,
                reason: e.to_string(),
            }
        })?;
        self.finite(p.0.to_degrees(), p.1.to_degrees(), x, y)
    }

    fn finite(&self, a: f64, b: f64, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        if a.is_finite() && b.is_finite() {
            Ok((a, b))
        } else {
            Err(CrsError::Transform {
                code: self.epsg,
                x,
                y,
                reason: "result is not finite".into(),
            })
        }
    }
}

/// The analysis CRS the plan asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisCrs {
    /// The UTM zone of the study area's centre.
    Auto,
    /// A projected CRS in metres by EPSG code (e.g. 4547, CGCS2000 / 3-degree GK CM 114E).
    Epsg(u32),
}

impl FromStr for AnalysisCrs {
    type Err = CrsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(AnalysisCrs::Auto);
        }
        match s.parse::<InputCrs>() {
            Ok(InputCrs::Epsg(code)) => Ok(AnalysisCrs::Epsg(code)),
            Ok(InputCrs::Wgs84) => Err(CrsError::NotProjected { code: 4326 }),
            _ => Err(CrsError::UnknownName(s.to_string())),
        }
    }
}

impl AnalysisCrs {
    /// Resolves to a projection; `centre` is the study area's WGS84 centre (lon, lat).
    pub fn resolve(self, centre: (f64, f64)) -> Result<Projection, CrsError> {
        match self {
            AnalysisCrs::Auto => Projection::utm_for(centre.0, centre.1),
            AnalysisCrs::Epsg(code) => Projection::from_epsg(code),
        }
    }
}

/// Geodesic distance between two WGS84 points in metres (haversine on the mean Earth
/// radius 6,371,008.8 m; error under 0.5 % — used for checks, never for coverage).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R_M: f64 = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R_M * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj_round_trip_is_exact() {
        let (lon, lat) = (121.4373, 31.1880);
        let (glon, glat) = wgs84_to_gcj02(lon, lat);
        // The Shanghai offset is several hundred metres.
        assert!(haversine_m((lon, lat), (glon, glat)) > 300.0);
        let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
        assert!((wlon - lon).abs() < 1e-9 && (wlat - lat).abs() < 1e-9);
    }

    #[test]
    fn bd09_round_trip_and_known_offset() {
        // Tiananmen in GCJ-02 and the same place in BD-09 differ by about 0.0065°/0.006°.
        let (glon, glat) = (116.397_428, 39.909_23);
        let (blon, blat) = gcj02_to_bd09(glon, glat);
        assert!((blon - glon - 0.0064).abs() < 0.0008 && (blat - glat - 0.0061).abs() < 0.0008);
        let (g2lon, g2lat) = bd09_to_gcj02(blon, blat);
        assert!((g2lon - glon).abs() < 1e-9 && (g2lat - glat).abs() < 1e-9);
    }

    #[test]
    fn outside_china_is_unchanged() {
        assert_eq!(wgs84_to_gcj02(24.94, 60.17), (24.94, 60.17));
        assert_eq!(gcj02_to_wgs84(24.94, 60.17), (24.94, 60.17));
    }

    #[test]
    fn utm_zone_for_shanghai_is_51n() {
        let p = Projection::utm_for(121.44, 31.18).unwrap();
        assert_eq!(p.epsg(), 32651);
        assert_eq!(p.name(), "WGS 84 / UTM zone 51N");
        // Central meridian 123°E maps to easting 500 000 m.
        let (x, _) = p.from_wgs84(123.0, 31.0).unwrap();
        assert!((x - 500_000.0).abs() < 1e-6);
        let (x, y) = p.from_wgs84(121.44, 31.18).unwrap();
        let (lon, lat) = p.to_wgs84(x, y).unwrap();
        assert!((lon - 121.44).abs() < 1e-9 && (lat - 31.18).abs() < 1e-9);
    }

    #[test]
    fn projected_distance_matches_geodesic() {
        let p = Projection::utm_for(121.44, 31.18).unwrap();
        let a = (121.43, 31.17);
        let b = (121.45, 31.19);
        let (ax, ay) = p.from_wgs84(a.0, a.1).unwrap();
        let (bx, by) = p.from_wgs84(b.0, b.1).unwrap();
        let planar = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
        let geodesic = haversine_m(a, b);
        assert!(
            (planar / geodesic - 1.0).abs() < 0.005,
            "{planar} vs {geodesic}"
        );
    }

    #[test]
    fn crs_names_parse() {
        assert_eq!("wgs84".parse::<InputCrs>().unwrap(), InputCrs::Wgs84);
        assert_eq!("GCJ-02".parse::<InputCrs>().unwrap(), InputCrs::Gcj02);
        assert_eq!("bd09".parse::<InputCrs>().unwrap(), InputCrs::Bd09);
        assert_eq!(
            "EPSG:4547".parse::<InputCrs>().unwrap(),
            InputCrs::Epsg(4547)
        );
        assert!("mercator".parse::<InputCrs>().is_err());
        assert!(matches!(
            "EPSG:4326".parse::<AnalysisCrs>(),
            Err(CrsError::NotProjected { .. })
        ));
        assert!(matches!(
            Projection::from_epsg(4326),
            Err(CrsError::NotProjected { .. })
        ));
    }
}
