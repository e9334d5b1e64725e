// Opens map.html in Debian's headless Chromium with the network off and checks it as a
// planner would use it: every layer drawn, a click on a cell opens its figures, switching
// the circle recolours the cells, and the page made no request beyond its own file.
//
//   node tests/browser/map_check.mjs OUT/map.html SCREENSHOT.png
//
// Prints one JSON line of findings; exits 1 on the first failed check.
import { chromium } from "playwright-core";
import path from "node:path";

const [mapPath, shotPath] = process.argv.slice(2);
if (!mapPath || !shotPath) {
  console.error("usage: node map_check.mjs MAP.html SCREENSHOT.png");
  process.exit(2);
}
const fail = (msg) => {
  console.error("map check failed: " + msg);
  process.exit(1);
};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto("file://" + path.resolve(mapPath));
  await page.waitForFunction(() => window.lifecircle && window.lifecircle.ready, null, { timeout: 20000 });
  if (errors.length) fail("script errors: " + errors.join("; "));

  // Layers drawn: one facility symbol per facility, one numbered marker per proposed site,
  // the layer switcher with a base layer per circle, the canvas with the cells.
  const drawn = await page.evaluate(() => {
    const D = window.lifecircle.data;
    return {
      cells: D.cells.length,
      facilities: D.facilities.length,
      facility_symbols: document.querySelectorAll(".lc-fac svg").length,
      sites: D.sites.length,
      site_markers: document.querySelectorAll(".lc-site").length,
      base_layers: document.querySelectorAll(".leaflet-control-layers-base input").length,
      overlays: document.querySelectorAll(".leaflet-control-layers-overlays input").length,
      canvases: document.querySelectorAll("canvas").length,
      subdistrict_labels: document.querySelectorAll(".lc-label").length,
      circles: D.circles.length,
    };
  });
  if (drawn.cells === 0) fail("no cells in the data");
  if (drawn.facility_symbols !== drawn.facilities) fail(`facility symbols ${drawn.facility_symbols} of ${drawn.facilities}`);
  if (drawn.site_markers !== drawn.sites) fail(`site markers ${drawn.site_markers} of ${drawn.sites}`);
  if (drawn.base_layers < drawn.circles) fail(`base layers ${drawn.base_layers} for ${drawn.circles} circles`);
  if (drawn.canvases < 1) fail("no canvas");
  // Human labels in the layer switcher: no internal id (min15, straight_line, day_care …).
  const labels = await page.locator(".leaflet-control-layers label").allInnerTexts();
  const ids = labels.filter((t) => /_|\bmin1?5\b/.test(t));
  if (ids.length) fail("internal ids in the layer switcher: " + ids.join(" | "));

  // Switch the streets and boundaries off (so that the canvas shows the cells' fills alone).
  for (const name of ["道路 streets", "街镇 sub-districts", "居委 committees"]) {
    await page.locator(".leaflet-control-layers-overlays label").filter({ hasText: name }).first().click();
  }
  const still = await page.evaluate(() => ["streets"].filter((k) => window.lifecircle.map.hasLayer(window.lifecircle.layers[k])));
  if (still.length) fail("overlay still drawn after switching it off: " + still);

  // A cell with people whose verdict differs between circle 0 and circle 1, visible on the
  // canvas (no marker, label or control above its centre).
  const target = await page.evaluate(() => {
    const lc = window.lifecircle, D = lc.data, map = lc.map;
    const size = map.getSize();
    for (let i = 0; i < D.cells.length; i++) {
      const c = D.cells[i];
      if (c.v[0] === 0 || c.v[1] === 0 || c.v[0] === c.v[1]) continue;
      let sx = 0, sy = 0, n = c.g.length / 2;
      for (let k = 0; k < c.g.length; k += 2) { sx += c.g[k]; sy += c.g[k + 1]; }
      const p = map.latLngToContainerPoint([sy / n, sx / n]);
      if (p.x < 360 || p.y < 240 || p.x > size.x - 470 || p.y > size.y - 120) continue;
      const el = document.elementFromPoint(p.x, p.y);
      if (!el || el.tagName !== "CANVAS") continue;
      return { index: i, id: c.id, x: p.x, y: p.y, v0: c.v[0], v1: c.v[1] };
    }
    return null;
  });
  if (!target) fail("no clickable cell whose verdict differs between the first two circles");
  const pixel = () => page.evaluate(([x, y]) => {
    const r = window.lifecircle.cellRenderer, cv = r._container, m = cv.width / (r._bounds.max.x - r._bounds.min.x);
    const lp = window.lifecircle.map.containerPointToLayerPoint([x, y]);
    const d = cv.getContext("2d").getImageData(Math.round((lp.x - r._bounds.min.x) * m), Math.round((lp.y - r._bounds.min.y) * m), 1, 1).data;
    return "#" + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, "0")).join("");
  }, [target.x, target.y]);
  const colours = await page.evaluate(() => window.lifecircle.data.colours);
  const expect = (v) => (v === 1 ? colours.covered : colours.not_covered);
  // Canvas pixels are stored premultiplied by the fill's alpha: ±2 per channel on reading.
  const near = (a, b) => [1, 3, 5].every((k) => Math.abs(parseInt(a.substr(k, 2), 16) - parseInt(b.substr(k, 2), 16)) <= 2);
  const before = await pixel();
  if (!near(before, expect(target.v0))) fail(`cell ${target.id} drawn ${before}, expected ${expect(target.v0)}`);

  // Click the cell: its popup names it and gives its figures.
  await page.mouse.click(target.x, target.y);
  const popup = await page.waitForSelector(".leaflet-popup-content [data-cell]", { timeout: 5000 });
  const text = await popup.innerText();
  if (!text.includes(target.id) || !text.includes("residents") || !text.includes("nearest")) fail("popup: " + text);
  await page.waitForTimeout(400); // the popup's fade-in
  await page.screenshot({ path: shotPath });

  // Switch to the second circle in the layer switcher: the cell is recoloured.
  await page.keyboard.press("Escape");
  await page.locator(".leaflet-control-layers-base label").filter({ hasText: await page.evaluate(() => window.lifecircle.data.circles[1].label) }).first().click();
  await page.waitForFunction(() => window.lifecircle.circle === 1, null, { timeout: 5000 });
  const after = await pixel();
  if (!near(after, expect(target.v1))) fail(`after switching, cell ${target.id} drawn ${after}, expected ${expect(target.v1)}`);

  // Turning the 街镇 overlay off removes its labels.
  await page.locator(".leaflet-control-layers-overlays label").filter({ hasText: "街镇名称" }).first().click();
  const labelsLeft = await page.evaluate(() => document.querySelectorAll(".lc-label").length);
  if (labelsLeft !== 0) fail(`${labelsLeft} sub-district labels left after switching them off`);

  const network = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"));
  if (network.length) fail("network requests: " + network.join(", "));
  const files = requests.filter((u) => u.startsWith("file://"));
  if (files.length !== 1) fail("file requests beyond the page: " + files.join(", "));
  console.log(JSON.stringify({ ok: true, drawn, clicked: target.id, popup: text.split("\n")[0], before, after, requests: requests.length, network_requests: network.length }));
} finally {
  await browser.close();
}
