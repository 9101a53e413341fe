// The web demo in Chromium, as a visitor uses it: built by web-demo/build.mjs,
// served on loopback with COOP/COEP (threads) and without (single build); the
// CG, lasso and softmax panels must give right answers, and Cancel must stop a solve.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binary, launchChromium } from "./runtimes/harness.mjs";
import { serve } from "../web-demo/serve.mjs";

const missing = binary("chromium").missing;
if (missing && process.env.CI) throw new Error(`${missing}; .ci/run installs chromium`);

describe.skipIf(!!missing && !process.env.CI)("web demo", () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    execFileSync(process.execPath, ["web-demo/build.mjs"], { stdio: "pipe" });
    browser = await launchChromium();
  });
  afterAll(async () => { await browser?.close(); });

  for (const isolated of [true, false]) {
    it(`${isolated ? "with COOP/COEP: threads" : "without isolation: single build"}; every panel answers right`, async () => {
      const server = await serve({ port: 0, isolated });
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
        await page.waitForFunction(() => (window as any).numlaneDemo?.ready, null, { timeout: 30_000 });
        const info = await page.evaluate(() => (window as any).numlaneDemo.info);
        expect(info.build).toBe(isolated ? "threads" : "single");

        await page.click("#solve");
        await page.waitForFunction(() => /converged|error|cancel/.test(document.querySelector("#cg")!.textContent!), null, { timeout: 60_000 });
        const cg = await page.textContent("#cg");
        expect(cg).toMatch(/converged after \d+ iterations/);
        // b = A·1, so x must be 1 to the accuracy rtol = 1e-12 allows (cond ≈ 178).
        expect(Number(/max \|x − 1\| = ([\d.e+-]+)/.exec(cg!)![1])).toBeLessThan(1e-8);

        await page.fill("#lambda", "0.05");
        await page.click("#lasso");
        await page.waitForFunction(() => document.querySelector("#lassoOut")!.textContent!.length > 0, null, { timeout: 30_000 });
        const lasso = await page.textContent("#lassoOut");
        expect(lasso).toMatch(/^converged/);
        // λ = 0.05 zeroes age, s2 and s4 (as scikit-learn's Lasso(alpha=0.05, fit_intercept=False) does).
        for (const name of ["age", "s2", "s4"]) expect(lasso).toMatch(new RegExp(`${name}\\s+-?0\\.00\\n`));

        await page.click("#softmax");
        await page.waitForFunction(() => document.querySelector("#softmaxOut")!.textContent!.length > 0, null, { timeout: 60_000 });
        const sm = await page.textContent("#softmaxOut");
        expect(Number(/max \|Σp − 1\| over rows = ([\d.e+-]+)/.exec(sm!)![1])).toBeLessThan(1e-6);

        if (isolated) {
          // Cancel: a solve that cannot converge (rtol 0 on ani4, 30810 iterations allowed) stops when asked.
          // (Without workers the solve runs on the page's own thread: nothing can interrupt it.)
          await page.selectOption("#matrix", "ani4");
          await page.fill("#rtol", "0");
          await page.click("#solve");
          // Click Cancel from inside the page the moment progress shows: a click
          // from the test side can arrive after a loaded machine finished the solve.
          await page.waitForFunction(() => {
            if (!/iteration \d+/.test(document.querySelector("#cg")!.textContent!)) return false;
            (document.querySelector("#cancel") as HTMLButtonElement).click();
            return true;
          }, null, { timeout: 30_000, polling: 10 });
          await page.waitForFunction(() => !/iteration \d+/.test(document.querySelector("#cg")!.textContent!), null, { timeout: 30_000 });
          expect(await page.textContent("#cg")).toBe("cancelled");
        }
      } finally {
        await page.close();
        server.close();
      }
    });
  }
});
