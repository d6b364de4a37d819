// Browser tests of the supervisors' pages in headless Chromium (Debian's), driven by
// playwright-core, against the real server with its demo district. Run by scripts/browser-test;
// screenshots land in target/screenshots/ for review.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, serverExe, shots, startDemo } from "./demo.mjs";

let server, base, browser, data;

before(async () => {
  ({ server, base, data } = await startDemo("gridwalk-web-"));
  execFileSync(serverExe, ["--data-dir", data, "admin", "add-user", "--username", "other.supervisor",
    "--name", "和平街道", "--role", "supervisor", "--password", "other-area-pw", "--scope", "community:C02"]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGKILL");
});

async function signIn(user, password) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/web/login`);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${base}/web`), page.click("#login")]);
  return page;
}

let householdWithPhoto;

test("a supervisor signs in and sees the overview of their area", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  assert.match(await page.textContent("#grids"), /第1网格/);
  await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
  await page.goto(`${base}/web?lang=en`);
  assert.match(await page.textContent("h1"), /Overview/);
  await page.goto(`${base}/web?lang=zh`);
});

test("a household opens with its photo", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  await page.goto(`${base}/web/households?grid=C01-G01`);
  const links = await page.$$eval("#households a", (as) => as.map((a) => a.getAttribute("href")));
  for (const href of links) {
    await page.goto(`${base}${href}`);
    if (await page.$("img.thumb")) {
      householdWithPhoto = href;
      break;
    }
  }
  assert.ok(householdWithPhoto, "a household of the demo has a visit photo");
  const width = await page.$eval("img.thumb", (img) => img.complete && img.naturalWidth);
  assert.ok(width > 0, "the photo loaded");
  await page.screenshot({ path: join(shots, "household.png"), fullPage: true });
});

test("overdue orders can be filtered", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  await page.goto(`${base}/web/orders`);
  const all = await page.$$("#orders tr");
  await page.click("#filter-overdue");
  await page.waitForURL(/filter=overdue/);
  const rows = await page.$$eval("#orders tr", (trs) => trs.slice(1).map((tr) => tr.className));
  assert.ok(rows.length > 0, "the demo has overdue orders");
  assert.ok(rows.length < all.length - 1, "fewer than all orders");
  assert.ok(rows.every((c) => c.includes("bad")), "every row is overdue");
  await page.screenshot({ path: join(shots, "orders-overdue.png"), fullPage: true });
});

test("a spreadsheet with new places, good, to-check and bad rows; re-uploaded, unchanged", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  const file = join(data, "台账.csv");
  writeFileSync(file, [
    "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号,电话",
    "C01,C01-G01,C01-Q01,C01-Q01-B01,9,901,自住,钱一,110101198503070013,13800138000",
    "C01,C01-G01,C01-Q01,C01-Q01-B01,9,902,自住,孙二,110105194912310021,",
    "C01,C01-G01,C01-Q01,C01-Q01-B01,9,903,自住,李三,,abc",
    "C01,C01-G01,C01-Q01,NO-SUCH-BUILDING,9,904,自住,周四,,",
    // A building the office names that the reference data does not have yet: created.
    "C01,C01-G01,C01-Q01,99号楼,1,101,自住,吴五,,",
  ].join("\n"));
  await page.goto(`${base}/web/ledger`);
  await page.setInputFiles("#file", file);
  await Promise.all([page.waitForURL(`${base}/web/ledger/preview`), page.click("#preview")]);
  const reasons = await page.$$eval("#bad-rows tr.bad", (trs) => trs.map((tr) => tr.textContent));
  assert.equal(reasons.length, 1, reasons.join("\n"));
  // A wrong check digit and a phone that is not a mobile number are imported, to be checked at
  // the door.
  const toCheck = await page.$$eval("#bad-rows tr.check", (trs) => trs.map((tr) => tr.textContent));
  assert.equal(toCheck.length, 2, toCheck.join("\n"));
  assert.match(toCheck.join("\n"), /校验位错误/);
  assert.match(toCheck.join("\n"), /电话号码/);
  assert.match(await page.textContent("#counts"), /新增: 4 /);
  assert.match(await page.textContent("#created"), /99号楼/);
  assert.match(reasons.join("\n"), /楼栋 NO-SUCH-BUILDING 不存在/);
  assert.doesNotMatch(reasons.join("\n"), /check digit|bad phone|unknown building/);
  await page.screenshot({ path: join(shots, "ledger-preview.png"), fullPage: true });
  await Promise.all([page.waitForURL(/committed=4/), page.click("#commit")]);
  assert.match(await page.textContent("#committed"), /: 4$/);
  // The same file again changes nothing.
  await page.goto(`${base}/web/ledger`);
  await page.setInputFiles("#file", file);
  await Promise.all([page.waitForURL(`${base}/web/ledger/preview`), page.click("#preview")]);
  const counts = await page.textContent("#counts");
  assert.match(counts, /新增: 0 /, counts);
  assert.match(counts, /无变化: 4 /, counts);
  assert.equal(await page.$("#created"), null, "nothing to create the second time");
  await page.screenshot({ path: join(shots, "ledger-reupload.png"), fullPage: true });
});

test("a report is assigned, sent back after a confirmation, and a refusal shown in Chinese", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  await page.goto(`${base}/web/reports?status=reported`);
  assert.match(await page.textContent("#total"), /^共 \d+ 条/);
  await page.screenshot({ path: join(shots, "reports.png"), fullPage: true });
  // A report of 第1网格, whose worker is 王伟.
  const links = await page.$$eval("#reports tr", (trs) => trs.slice(1)
    .filter((tr) => tr.textContent.includes("第1网格"))
    .map((tr) => tr.querySelector("a").getAttribute("href")));
  assert.ok(links.length > 0, "the demo has unassigned reports in 第1网格");
  await page.goto(`${base}${links[0]}`);
  assert.match(await page.textContent("#status"), /已上报/);
  assert.equal(await page.isVisible("#send-back"), false, "no send-back before anyone is assigned");
  await page.selectOption("#assignee-select", { label: "王伟" });
  await Promise.all([page.waitForURL(/done=assign/), page.click("#assign-form button")]);
  assert.match(await page.textContent("#done"), /已分派/);
  assert.match(await page.textContent("#assignee"), /王伟/);
  assert.match(await page.textContent("#timeline"), /分派 → 王伟/);
  // Sending back takes two steps: open the confirmation, then confirm with a reason.
  assert.equal(await page.isVisible("#send-back textarea"), false, "the confirmation is closed");
  await page.click("#send-back summary");
  // No reason: the rules refuse, and the page says so in Chinese.
  await Promise.all([page.waitForLoadState("load"), page.click("#send-back button")]);
  assert.match(await page.textContent("#refusal"), /退回需要说明问题/);
  await page.screenshot({ path: join(shots, "report-refused.png"), fullPage: true });
  assert.equal(await page.isVisible("#send-back textarea"), true, "the refused form is open again");
  await page.fill("#send-back textarea", "现场照片不清楚，请补拍");
  await Promise.all([page.waitForURL(/done=send-back/), page.click("#send-back button")]);
  assert.match(await page.textContent("#done"), /已退回/);
  assert.match(await page.textContent("#sent-back"), /请补拍/);
  await page.screenshot({ path: join(shots, "report.png"), fullPage: true });
});

test("a visit is sent back from the household page after a confirmation", async () => {
  assert.ok(householdWithPhoto);
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  await page.goto(`${base}${householdWithPhoto}`);
  const form = "#visits tr:nth-child(2) details";
  assert.equal(await page.isVisible(`${form} textarea`), false, "the confirmation is closed");
  await page.click(`${form} summary`);
  await page.fill(`${form} textarea`, "走访记录过于简单");
  await Promise.all([page.waitForURL(/done=send-back/), page.click(`${form} button`)]);
  assert.match(await page.textContent("#done"), /走访已退回/);
  assert.match(await page.textContent("#visits"), /已退回.*走访记录过于简单/);
  await page.screenshot({ path: join(shots, "household-sent-back.png"), fullPage: true });
});

test("an order is urged (督办) after a confirmation", async () => {
  const page = await signIn("zhang.supervisor", "supervisor-demo");
  await page.goto(`${base}/web/orders?filter=status:issued`);
  await Promise.all([page.waitForURL(/\/web\/orders\/\w+$/), page.click("#orders a")]);
  assert.equal(await page.isVisible("#urge textarea"), false, "the confirmation is closed");
  await page.click("#urge summary");
  await page.fill("#urge textarea", "请于三日内签收并整改");
  await Promise.all([page.waitForURL(/done=urge/), page.click("#urge button")]);
  assert.match(await page.textContent("#done"), /已督办/);
  assert.match(await page.textContent("#urged"), /请于三日内签收并整改/);
  assert.match(await page.textContent("#timeline"), /督办/);
  await page.screenshot({ path: join(shots, "order-urged.png"), fullPage: true });
});

test("another area's supervisor is refused", async () => {
  assert.ok(householdWithPhoto);
  const page = await signIn("other.supervisor", "other-area-pw");
  const response = await page.goto(`${base}${householdWithPhoto}`);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent("#error"), /无权访问/);
  await page.screenshot({ path: join(shots, "refused.png"), fullPage: true });
});
