//! The HTML report rendered by headless Chromium (Debian's `chromium` package): the page
//! loads from the file alone, its embedded maps are drawn and its tables laid out. Needs
//! Chromium, so it is `#[ignore]`d in a plain `cargo test`; `.ci/run` installs Chromium and
//! runs it with `--ignored`, keeping the screenshot at target/report-screenshot.png.

use std::process::Command;

use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::map::{self, Rgb};
use lifecircle::pipeline::{run, Silent};

/// Headless Chromium on a machine with no network: no background connections.
const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

#[test]
#[ignore = "needs Chromium; .ci/run installs it and runs this test"]
fn report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    run(&plan, &plan.output_dir, &Silent).unwrap();
    let report = plan.output_dir.join("report.html");
    let shot = dir.path().join("report.png");
    let profile = dir.path().join("chromium-profile");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let status = Command::new(&chromium)
        .args(HEADLESS)
        .args(["--hide-scrollbars", "--window-size=1300,7000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "file://{}",
            report.canonicalize().unwrap().display()
        ))
        .status()
        .unwrap_or_else(|e| panic!("cannot start {chromium}: {e}"));
    assert!(status.success(), "{chromium} exited with {status}");
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(&shot, target.join("report-screenshot.png")).unwrap();

    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1300, 7000));
    let channels = info.color_type.samples();
    let count = |want: Rgb| {
        buf.chunks(channels)
            .filter(|p| (p[0], p[1], p[2]) == (want.0, want.1, want.2))
            .count()
    };
    // The first map (covered / not covered cells) is drawn from its embedded PNG.
    assert!(
        count(map::COVERED) > 2_000,
        "covered cells: {}",
        count(map::COVERED)
    );
    assert!(count(map::NOT_COVERED) > 10_000);
    // The headings (#1d5e3a) and the body text are drawn.
    assert!(count(Rgb(0x1d, 0x5e, 0x3a)) > 200);
    let dark = buf
        .chunks(channels)
        .filter(|p| u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 150)
        .count();
    assert!(dark > 5_000, "dark pixels: {dark}");

    // The report prints on A4: Chromium's print to PDF gives several A4 pages (595 × 842
    // points), the key findings on the first, the interactive map left out of print.
    let pdf = dir.path().join("report.pdf");
    let status = Command::new(&chromium)
        .args(HEADLESS)
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!(
            "file://{}",
            report.canonicalize().unwrap().display()
        ))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "{chromium} --print-to-pdf exited with {status}"
    );
    let bytes = std::fs::read(&pdf).unwrap();
    std::fs::copy(&pdf, target.join("report.pdf")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page ").count()
        + text.matches("/Type /Page/").count()
        + text.matches("/Type /Page>").count();
    assert!(pages >= 4, "{pages} pages");
    let a4 = text.matches("/MediaBox [0 0 594.95996 841.91998]").count()
        + text.matches("/MediaBox [0 0 595 842]").count()
        + text.matches("/MediaBox [0 0 595.2 841.8]").count();
    assert!(
        a4 >= pages,
        "{a4} A4 media boxes for {pages} pages: {:?}",
        text.match_indices("/MediaBox")
            .take(2)
            .map(|(i, _)| &text[i..i + 40])
            .collect::<Vec<_>>()
    );
}
