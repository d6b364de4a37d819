// The supervisors' pages on a phone, 375 px wide (issue 15, part 7): no page scrolls
// sideways, the header stays one line, the navigation is a landmark that marks the current
// page, detail pages have breadcrumbs, numbers are right-aligned, and Chinese is drawn with a
// CJK font (screenshots in target/screenshots/phone-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchChromium, shots, startDemo } from "./demo.mjs";

let server, base, browser, page;

before(async () => {
  ({ server, base } = await startDemo("gridwalk-phone-"));
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2 });
  page = await context.newPage();
  await page.goto(`${base}/web/login`);
  await page.fill("#username", "zhang.supervisor");
  await page.fill("#password", "supervisor-demo");
  await Promise.all([page.waitForURL(`${base}/web`), page.click("#login")]);
});

after(async () => {
  await browser?.close();
  server?.kill("SIGKILL");
});

/** Opens `path` and checks what every page must be at 375 px. */
async function check(path, name, current) {
  const response = await page.goto(`${base}${path}`);
  assert.equal(response.status(), 200, path);
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
    header: document.querySelector("header").getBoundingClientRect().height,
    line: parseFloat(getComputedStyle(document.querySelector("header")).fontSize),
    nav: document.querySelectorAll("nav[aria-label] a").length,
    current: [...document.querySelectorAll('header nav a[aria-current="page"]')].map((a) => a.getAttribute("href")),
  }));
  assert.ok(layout.scroll <= layout.width, `${path}: ${layout.scroll} px wide at ${layout.width}`);
  assert.ok(layout.header < layout.line * 3.2, `${path}: the header is ${layout.header} px tall (more than one line)`);
  assert.ok(layout.nav >= 6, `${path}: the navigation landmark has its links`);
  assert.deepEqual(layout.current, [current], `${path}: the current page is marked`);
  await page.screenshot({ path: join(shots, `phone-${name}.png`), fullPage: true });
}

test("every page fits a 375 px phone, one header line, the current page marked", async () => {
  await check("/web", "overview", "/web");
  await check("/web/households?grid=C01-G01", "households", "/web/households");
  await check("/web/findings?grid=C01-G01", "findings", "/web/findings");
  await check("/web/orders", "orders", "/web/orders");
  await check("/web/reports", "reports", "/web/reports");
  await check("/web/ratings", "ratings", "/web/ratings");
  await check("/web/ledger", "ledger", "/web/ledger");
  await page.goto(`${base}/web/households?grid=C01-G01`);
  const household = await page.$eval("#households a", (a) => a.getAttribute("href"));
  await check(household, "household", "/web/households");
  await page.goto(`${base}/web/orders`);
  const order = await page.$eval("#orders a", (a) => a.getAttribute("href"));
  await check(order, "order", "/web/orders");
  await page.goto(`${base}/web/reports?status=assigned`);
  const report = await page.$eval("#reports a", (a) => a.getAttribute("href"));
  await check(report, "report", "/web/reports");
  // The confirmation open: its form fits too.
  await page.click("#send-back summary");
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= 375, `the send-back form is ${scroll} px wide`);
});

test("the 大屏 fits a phone and fills a wall screen, its pictures named", async () => {
  for (const [width, height, name] of [[375, 812, "phone-screen"], [1920, 1080, "wall-screen"]]) {
    await page.setViewportSize({ width, height });
    const response = await page.goto(`${base}/web/screen`);
    assert.equal(response.status(), 200);
    const layout = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: window.innerWidth,
      svgs: [...document.querySelectorAll("svg")].map((s) => ({
        role: s.getAttribute("role"),
        label: s.getAttribute("aria-label"),
        width: s.getBoundingClientRect().width,
      })),
      refresh: document.querySelector('meta[http-equiv="refresh"]')?.getAttribute("content"),
    }));
    assert.ok(layout.scroll <= layout.width, `${name}: ${layout.scroll} px wide at ${layout.width}`);
    assert.equal(layout.refresh, "60");
    assert.ok(layout.svgs.length >= 2, `${name}: the trend and the ratings drawn`);
    for (const svg of layout.svgs) {
      assert.equal(svg.role, "img");
      assert.match(svg.label, /[\u4e00-\u9fff]/);
      assert.ok(svg.width > 0 && svg.width <= width, `${name}: a picture ${svg.width} px wide`);
    }
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 375, height: 812 });
});

test("detail pages have breadcrumbs back to their list", async () => {
  await page.goto(`${base}/web/households?grid=C01-G01`);
  await page.click("#households a");
  const crumbs = await page.$$eval(".breadcrumbs li", (lis) => lis.map((li) => li.textContent.trim()));
  assert.equal(crumbs[0], "住户");
  assert.match(crumbs[1], /网格/);
  assert.match(crumbs[2], /单元 .*室$/);
  await page.click(".breadcrumbs li:first-child a");
  assert.match(page.url(), /\/web\/households$/);
});

test("numbers are right-aligned and Chinese is drawn with a CJK font", async () => {
  await page.goto(`${base}/web`);
  const aligns = await page.$$eval("#grids td.num", (tds) => tds.map((td) => getComputedStyle(td).textAlign));
  assert.ok(aligns.length > 0 && aligns.every((a) => a === "right"), aligns.join());
  // The fonts Chromium drew the heading with, as its DevTools report them.
  const client = await page.context().newCDPSession(page);
  await client.send("DOM.enable");
  await client.send("CSS.enable");
  const { root: doc } = await client.send("DOM.getDocument");
  const { nodeId } = await client.send("DOM.querySelector", { nodeId: doc.nodeId, selector: "h1" });
  const { fonts } = await client.send("CSS.getPlatformFontsForNode", { nodeId });
  assert.ok(fonts.some((f) => /CJK|Han|YaHei|PingFang|WenQuanYi/i.test(f.familyName)),
    `the heading is drawn with ${fonts.map((f) => f.familyName).join(", ")}`);
});
