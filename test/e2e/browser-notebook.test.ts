/**
 * reglab in a real browser: Debian's classic Notebook 6.4 server
 * (`jupyter notebook`, token auth, 127.0.0.1, throwaway Jupyter dirs) with
 * the kernelspec from `reglab install --prefix`, driven by Debian's Chromium
 * through playwright-core (no downloaded browser).
 *
 * For 00-welcome.ipynb and one chart notebook (00-chart-gallery.ipynb, else
 * 12-dropout.ipynb, else a two-chart notebook written here): open it, clear
 * its outputs, Cell → Run All from the menu, wait until the kernel is idle
 * and no prompt shows In [*], then check that
 * - every code cell ran (a number in its prompt) and no error shows
 *   (.output_error, or stderr mentioning an Error);
 * - every chart output (image/png in the notebook the browser saves) is an
 *   <img src="data:image/png..."> in an output area, decoded (naturalWidth >
 *   0) and laid out with a nonzero size. Classic Notebook has no vega-lite
 *   renderer, so the PNG in our chart bundles is what it shows.
 * Screenshots go to test-artifacts/browser/ (git-ignored): the page as Run
 * All left it (scrolled to the last cell) and each chart's output area.
 *
 * Skipped with the reason when /usr/bin/chromium, Debian's jupyter-notebook
 * or playwright-core is missing; CI installs them (.ci/run, devDependencies).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  JUPYTER,
  SMALL_CHART_CELLS,
  artifactsDir,
  chartPngs,
  freePort,
  jupyterEnv,
  makeNotebook,
  missingJupyter,
  readNotebook,
  run,
  shippedNotebooks,
  start,
  type JupyterEnv,
  type Started,
} from "../support/frontends";
import { CHROMIUM, CHROMIUM_ARGS, waitUntilQuiet } from "../support/browser";
import type { Browser, Page } from "playwright-core";

const MINUTE = 60_000;

function loadPlaywright(): typeof import("playwright-core") | null {
  try {
    return require("playwright-core") as typeof import("playwright-core");
  } catch {
    return null;
  }
}
const playwright = loadPlaywright();

const skip =
  (!fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : null) ??
  missingJupyter("notebook") ??
  (playwright === null ? "playwright-core is not installed (npm ci)" : null) ??
  false;

/** The chart notebook to run: a shipped one with charts, or null for the generated fallback. */
function chartNotebook(): string | null {
  const shipped = shippedNotebooks();
  return ["00-chart-gallery.ipynb", "12-dropout.ipynb"].find((n) => shipped.includes(n)) ?? null;
}

/** The bits of the classic Notebook page the checks read (the page's own JS objects). */
interface NotebookWindow {
  Jupyter?: {
    notebook?: {
      trusted: boolean;
      kernel?: { name: string; is_connected(): boolean; info_reply?: { protocol_version?: string } } | null;
      get_cells(): Array<{ cell_type: string; input_prompt_number?: number | string | null; get_text(): string }>;
      clear_all_output(): void;
      save_notebook(): Promise<unknown>;
      dirty: boolean;
    };
  };
  document: {
    querySelector(sel: string): { classList: { contains(c: string): boolean } } | null;
    querySelectorAll(sel: string): ArrayLike<{ textContent: string | null }>;
  };
}

interface PageState {
  idle: boolean;
  running: number;
  cells: Array<{ prompt: number | string | null; head: string }>;
}

describe("classic Notebook in Chromium runs reglab notebooks and shows the charts", { skip }, () => {
  let env: JupyterEnv;
  let server: Started | undefined;
  let browser: Browser | undefined;
  let base = "";
  let token = "";
  let dir = "";
  const shots = artifactsDir("browser");
  const chartNb = chartNotebook() ?? "charts-small.ipynb";
  const welcome = shippedNotebooks().includes("00-welcome.ipynb") ? "00-welcome.ipynb" : null;

  before(
    async () => {
      env = jupyterEnv("browser");
      dir = env.workspace("ws", [welcome, chartNotebook()].filter((n): n is string => n !== null));
      if (chartNotebook() === null) fs.writeFileSync(path.join(dir, chartNb), JSON.stringify(makeNotebook(SMALL_CHART_CELLS)));
      // Trusted as after `jupyter trust` (Debian ships that app as nbformat.sign, without the
      // jupyter-trust command); the trust database is in the temp data dir.
      const trust = await run("/usr/bin/python3", ["-m", "nbformat.sign", ...fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb"))], {
        cwd: dir, env: env.env, timeoutMs: MINUTE
      });
      assert.equal(trust.code, 0, `trusting the notebooks (python3 -m nbformat.sign) failed: ${trust.stderr}`);

      const port = await freePort();
      token = crypto.randomBytes(24).toString("hex");
      const args = [
        "notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`,
        `--notebook-dir=${dir}`
      ];
      if (process.getuid?.() === 0) args.push("--allow-root"); // CI containers run as root
      server = start(JUPYTER, args, { cwd: dir, env: env.env, timeoutMs: 20 * MINUTE });
      base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + MINUTE;
      for (;;) {
        if (server.proc.exitCode !== null) throw new Error(`jupyter notebook exited (${server.proc.exitCode}):\n${server.stderr()}`);
        try {
          const r = await fetch(`${base}/api/status?token=${token}`);
          if (r.ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`jupyter notebook did not answer within 60 s:\n${server.stderr()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      browser = await playwright!.chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: MINUTE,
      });
    },
    { timeout: 3 * MINUTE },
  );

  after(async () => {
    try {
      await browser?.close();
    } catch {
      // already gone
    }
    // SIGTERM lets the server shut its kernels down; cleanup() then kills whatever is left.
    server?.kill();
    if (server) await Promise.race([server.done, new Promise((r) => setTimeout(r, 5000))]);
    env?.cleanup();
  });

  /** Open a notebook, Run All from the menu, wait for the end, save it; returns the page. */
  async function runAll(name: string, limitMs: number): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, { timeout: MINUTE });
    await page.waitForFunction(
      () => {
        const k = (globalThis as unknown as NotebookWindow).Jupyter?.notebook?.kernel;
        return !!k && k.is_connected() && !!k.info_reply?.protocol_version;
      },
      null,
      { timeout: MINUTE, polling: 250 },
    );
    const info = await page.evaluate(() => {
      const nb = (globalThis as unknown as NotebookWindow).Jupyter!.notebook!;
      nb.clear_all_output();
      return { kernel: nb.kernel!.name, trusted: nb.trusted };
    });
    assert.equal(info.kernel, "reglab", `${name} started kernel ${info.kernel}`);
    assert.equal(info.trusted, true, `${name} is not trusted after jupyter trust`);

    // Cell → Run All, as a user would.
    await page.click("#celllink");
    await page.click("#run_all_cells > a");
    const state = (): Promise<PageState> =>
      page.evaluate(() => {
        const w = globalThis as unknown as NotebookWindow;
        const icon = w.document.querySelector("#kernel_indicator_icon");
        const prompts = Array.from(w.document.querySelectorAll(".input_prompt"));
        return {
          idle: !!icon && icon.classList.contains("kernel_idle_icon"),
          running: prompts.filter((p) => (p.textContent ?? "").includes("[*]")).length,
          cells: w
            .Jupyter!.notebook!.get_cells()
            .filter((c) => c.cell_type === "code")
            .map((c) => ({ prompt: c.input_prompt_number ?? null, head: c.get_text().split("\n")[0].slice(0, 70) })),
        };
      });
    // Done = idle with nothing queued.
    const shot = path.join(shots, name);
    const last: PageState = await waitUntilQuiet(page, { name, shot, limitMs }, state, (s) => s.idle && s.running === 0);
    const notRun = last.cells.filter((c) => typeof c.prompt !== "number" && c.head.trim() !== "");
    assert.deepEqual(notRun, [], `${name}: cells without an execution count after Run All`);
    assert.deepEqual(pageErrors, [], `${name}: JavaScript errors in the page`);
    await page.evaluate(() => (globalThis as unknown as NotebookWindow).Jupyter!.notebook!.save_notebook());
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
    return page;
  }

  /** Per code cell, the page shows as many output areas as the saved notebook has outputs (and some exist). */
  async function sameOutputsAsSaved(page: Page, name: string): Promise<void> {
    const shown = await page.$$eval(".cell.code_cell", (cells) => cells.map((c) => c.querySelectorAll(".output_area").length));
    const saved = readNotebook(path.join(dir, name))
      .cells.filter((c) => c.cell_type === "code")
      .map((c) => (c.outputs ?? []).length);
    assert.deepEqual(shown, saved, `${name}: output areas per code cell on the page vs outputs in the saved notebook`);
    assert.ok(saved.reduce((a, b) => a + b, 0) > 0, `${name}: no outputs at all`);
  }

  /** Error outputs, and stderr that mentions an Error, as shown on the page. */
  async function errorsShown(page: Page): Promise<string[]> {
    const texts = await page.$$eval(".output_error, .output_stderr", (els) => els.map((e) => (e.textContent ?? "").trim()));
    return texts.filter((t) => /Error/.test(t));
  }

  it("00-welcome.ipynb: Run All completes without an error", {
    skip: welcome ? false : "no 00-welcome.ipynb", timeout: 4 * MINUTE
  }, async () => {
    const page = await runAll(welcome!, 3 * MINUTE);
    try {
      const errors = await errorsShown(page);
      assert.deepEqual(errors, [], "error output in 00-welcome");
      await sameOutputsAsSaved(page, welcome!);
    } finally {
      await page.close();
    }
  });

  it(`${chartNb}: Run All shows every chart as a decoded PNG image, without errors`, { timeout: 8 * MINUTE }, async () => {
    const page = await runAll(chartNb, 7 * MINUTE);
    try {
      const errors = await errorsShown(page);
      assert.deepEqual(errors, [], `error output in ${chartNb}`);
      await sameOutputsAsSaved(page, chartNb);
      // What the kernel sent: the chart outputs of the notebook as the browser saved it.
      const saved = readNotebook(path.join(dir, chartNb));
      const expected = chartPngs(saved);
      assert.ok(expected.length > 0, `${chartNb} produced no chart output`);
      const images = page.locator('.output_area .output_png img[src^="data:image/png"]');
      await images.last().scrollIntoViewIfNeeded();
      const shown = await images.evaluateAll((els) =>
        els.map((e) => {
          const img = e as unknown as {
            naturalWidth: number; naturalHeight: number; complete: boolean; src: string;
            getBoundingClientRect(): { width: number; height: number }
          };
          const r = img.getBoundingClientRect();
          return {
            natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height], complete: img.complete,
            src: img.src.slice("data:image/png;base64,".length).replace(/\s/g, "")
          };
        }),
      );
      assert.equal(
        shown.length, expected.length, `${chartNb}: ${shown.length} PNG images on the page, ${expected.length} chart outputs saved`
      );
      for (const [k, s] of shown.entries()) {
        assert.ok(s.complete && s.natural[0] > 0 && s.natural[1] > 0, `chart ${k}: the PNG did not decode (${JSON.stringify(s.natural)})`);
        assert.ok(s.shown[0] > 0 && s.shown[1] > 0, `chart ${k}: laid out with no size (${JSON.stringify(s.shown)})`);
        assert.equal(s.src, expected[k], `chart ${k}: the page shows a different image than the kernel sent`);
        await images.nth(k).locator("xpath=ancestor::div[contains(@class,'output_area')][1]").screenshot({
          path: path.join(shots, `${chartNb}-chart-${k}.png`)
        });
      }
      console.log(`browser: ${chartNb}: ${shown.length} chart(s) shown; screenshots in ${path.relative(process.cwd(), shots)}`);
    } finally {
      await page.close();
    }
  });
});
