// What the browser tests share: the real server with its demo district on a free port, and
// Debian's Chromium driven by playwright-core. Not a test file itself.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";

export const root = resolve(import.meta.dirname, "../..");
export const serverExe = join(root, "target/debug/gridwalk-server");
export const shots = join(root, "target/screenshots");
mkdirSync(shots, { recursive: true });

/** Starts `gridwalk-server demo` on a new data folder; resolves to { server, base, data }. */
export async function startDemo(prefix, households = 200) {
  const data = mkdtempSync(join(tmpdir(), prefix));
  const server = spawn(serverExe, ["--data-dir", data, "demo", "--listen", "127.0.0.1:0", "--households", `${households}`], {
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const base = await new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    server.on("exit", (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
  return { server, base, data };
}

/** Launches headless Chromium (`CHROMIUM` names another binary). */
export async function launchChromium() {
  const require = createRequire(join(root, "target/tools/package.json"));
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
