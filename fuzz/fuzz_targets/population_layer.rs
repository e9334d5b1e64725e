//! A whole layer: arbitrary bytes as the population file of one of a few plans (field
//! mappings, CRSs, encodings, CSV or GeoJSON), read into records as a run reads them. The
//! first byte picks the plan; the rest is the file, written to a scratch folder, as the
//! layer reader takes a path.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::io::layers::read_population;
use lifecircle::plan::Plan;

/// (population file name, the `[population]` section after its path).
const PLANS: [(&str, &str); 5] = [
    ("population.csv", ""),
    (
        "population.csv",
        "crs = \"GCJ02\"\nencoding = \"gbk\"\ndelimiter = \";\"\n\
         fields = { id = \"\", aged_65 = \"\", aged_80 = \"\" }\n",
    ),
    (
        "population.csv",
        "crs = \"EPSG:32651\"\nfields = { lon = \"x\", lat = \"y\", residents = \"pop\" }\n",
    ),
    ("population.geojson", "crs = \"BD09\"\n"),
    (
        "population.geojson",
        "geometry = \"polygons\"\ngrid_cell_m = 50\n",
    ),
];

fn scratch() -> &'static (PathBuf, Vec<Plan>) {
    static SCRATCH: OnceLock<(PathBuf, Vec<Plan>)> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lifecircle-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plans = PLANS
            .iter()
            .map(|(file, section)| {
                let text = format!(
                    "[study]\nname = \"fuzz\"\noutput_dir = \"out\"\n\
                     [population]\npath = \"{file}\"\n{section}\
                     [facilities]\npath = \"facilities.csv\"\n"
                );
                Plan::parse(&text, &dir.join("plan.toml")).unwrap()
            })
            .collect();
        (dir, plans)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let (dir, plans) = scratch();
    let plan = &plans[pick as usize % plans.len()];
    std::fs::write(&plan.population.layer.path, file).unwrap();
    if let Err(e) = read_population(&plan.population) {
        assert!(e.file.starts_with(dir), "the error names another file: {e}");
    }
});
