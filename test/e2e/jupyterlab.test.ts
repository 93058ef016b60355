/**
 * reglab in JupyterLab 4 in a real browser: JupyterLab from a virtual
 * environment (.ci/run installs it from pip's configured index into
 * $REGLAB_LAB_VENV, default /var/cache/reglab/lab-venv) on 127.0.0.1 with
 * token auth and the kernelspec from `reglab install --prefix`, driven by
 * Debian's Chromium through playwright-core. `--LabApp.expose_app_in_browser`
 * gives the page's `window.jupyterapp`, whose commands clear the outputs and
 * run all cells (`notebook:run-all-cells`).
 *
 * For the chart gallery, one chapter notebook (08-early-stopping) and a
 * small notebook ending in a deliberate error, it checks that
 * - every chart output is an interactive vega-embed view (an SVG or canvas
 *   with the actions menu), as many as the committed notebook has charts,
 *   and no PNG fallback image is shown for them;
 * - DataFrames show as HTML tables;
 * - the error shows as an error output (and only in the error notebook).
 * Screenshots go to test-artifacts/jupyterlab/ (git-ignored).
 *
 * When JupyterLab, Chromium or playwright-core is missing the suite is
 * skipped with the reason — except in CI (CI set), where it fails: CI must
 * prove the interactive charts, not pass without looking.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  ROOT,
  artifactsDir,
  freePort,
  jupyterEnv,
  makeNotebook,
  readNotebook,
  start,
  type JupyterEnv,
  type Started,
} from "../support/frontends";
import { CHROMIUM, CHROMIUM_ARGS, waitUntilQuiet } from "../support/browser";
import type { Browser, Page } from "playwright-core";

const MINUTE = 60_000;
const VENV = process.env.REGLAB_LAB_VENV ?? "/var/cache/reglab/lab-venv";
const LAB = path.join(VENV, "bin", "jupyter-lab");
const CHART_MIME = "application/vnd.vegalite.v5+json";
const NOTEBOOKS = ["00-chart-gallery.ipynb", "08-early-stopping.ipynb"];
const ERROR_NB = "lab-error.ipynb";

const missing =
  (!fs.existsSync(LAB)
    ? `JupyterLab is not installed at ${LAB} (.ci/run: /usr/bin/python3 -m venv ${VENV} && ${VENV}/bin/pip install jupyterlab)`
    : null) ??
  (!fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : null) ??
  (!fs.existsSync(path.join(ROOT, "node_modules", "playwright-core")) ? "playwright-core is not installed (npm ci)" : null) ??
  (!fs.existsSync(path.join(ROOT, "dist", "kernel", "cli.js")) ? "the reglab CLI is not built (npm run build)" : null);
// In CI a missing piece is a failure (in before()), never a silent skip.
const skip = missing !== null && !process.env.CI ? missing : false;

/** What the page reports about one notebook panel (read through window.jupyterapp). */
interface PanelState {
  kernel: string | null;
  status: string | null;
  cells: number;
  pending: number;
  unexecuted: number;
}

describe("JupyterLab in Chromium shows reglab charts as interactive vega-embed views", { skip, timeout: 20 * MINUTE }, () => {
  let env: JupyterEnv | undefined;
  let server: Started | undefined;
  let browser: Browser | undefined;
  let base = "";
  let token = "";
  let dir = "";
  const shots = artifactsDir("jupyterlab");

  before(
    async () => {
      if (missing) throw new Error(`cannot run the JupyterLab test: ${missing}`);
      env = jupyterEnv("lab");
      dir = env.workspace("ws", NOTEBOOKS);
      fs.writeFileSync(path.join(dir, ERROR_NB), JSON.stringify(makeNotebook(
        ['console.log("before the error")', 'throw new Error("deliberate error for the Lab test")']
      )));
      // Render every cell, not only the ones in view (JupyterLab 4 windows long notebooks).
      const settings = path.join(env.root, "lab-settings");
      fs.mkdirSync(path.join(settings, "@jupyterlab", "notebook-extension"), { recursive: true });
      fs.writeFileSync(
        path.join(settings, "@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" })
      );
      const labEnv = { ...env.env, JUPYTERLAB_SETTINGS_DIR: settings, JUPYTERLAB_WORKSPACES_DIR: path.join(env.root, "lab-workspaces") };
      const port = await freePort();
      token = crypto.randomBytes(24).toString("hex");
      const args = [
        "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${dir}`
      ];
      args.push(
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"
      );
      if (process.getuid?.() === 0) args.push("--allow-root"); // CI containers run as root
      server = start(LAB, args, { cwd: dir, env: labEnv, timeoutMs: 20 * MINUTE });
      base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 2 * MINUTE;
      for (;;) {
        if (server.proc.exitCode !== null) throw new Error(`jupyter-lab exited (${server.proc.exitCode}):\n${server.stderr()}`);
        try {
          if ((await fetch(`${base}/api/status?token=${token}`)).ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`jupyter-lab did not answer within 120 s:\n${server.stderr()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const playwright = require("playwright-core") as typeof import("playwright-core");
      browser = await playwright.chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: MINUTE,
      });
    },
    { timeout: 4 * MINUTE },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    server?.kill();
    if (server) await Promise.race([server.done, new Promise((r) => setTimeout(r, 5000))]);
    env?.cleanup();
  });

  /**
   * Open a notebook in Lab, clear its outputs, run all cells, wait for the end. Returns the page
   * and a CSS selector for this notebook's panel (Lab keeps earlier notebooks open in hidden tabs).
   */
  async function runAll(name: string, limitMs: number): Promise<{ page: Page; panel: string }> {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    // `reset`: a fresh workspace, so Lab does not restore the notebooks earlier tests opened in other tabs.
    await page.goto(`${base}/lab/tree/${encodeURIComponent(name)}?reset&token=${token}`, { timeout: 2 * MINUTE });
    const state = (): Promise<PanelState> =>
      page.evaluate((path) => {
        // The page's own objects (JupyterLab's application), typed loosely on purpose: this runs in the browser.
        // The panel is found by its file, not as the current widget (another tab may be current).
        const app = (globalThis as unknown as { jupyterapp?: {
          shell: { widgets(area: string): Iterable<{ context?: { path: string } }> }
        } })
          .jupyterapp;
        const panel = (app ? [...app.shell.widgets("main")].find((w) => w.context?.path === path) : undefined) as
          | {
              sessionContext?: { session?: { kernel?: { name: string; status: string } | null } | null };
              content?: { widgets: Array<{
                model: { type: string; executionCount?: number | null; sharedModel: { getSource(): string } };
                promptNode?: { textContent: string | null }
              }> };
            }
          | undefined;
        const kernel = panel?.sessionContext?.session?.kernel ?? null;
        const code = (panel?.content?.widgets ?? []).filter(
          (w) => w.model.type === "code" && w.model.sharedModel.getSource().trim() !== ""
        );
        return {
          kernel: kernel?.name ?? null,
          status: kernel?.status ?? null,
          cells: code.length,
          pending: code.filter((w) => (w.promptNode?.textContent ?? "").includes("*")).length,
          unexecuted: code.filter((w) => typeof w.model.executionCount !== "number").length,
        };
      }, name);
    const ready = Date.now() + 2 * MINUTE;
    for (let s = await state(); !(s.kernel === "reglab" && s.status === "idle" && s.cells > 0); s = await state()) {
      if (Date.now() > ready) {
        await page.screenshot({ path: path.join(shots, `${name}-not-ready.png`) });
        throw new Error(`${name}: the reglab kernel did not become idle in JupyterLab: ${JSON.stringify(s)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.evaluate(async (path) => {
      type App = {
        shell: { widgets(area: string): Iterable<{ id: string; context?: { path: string } }>; activateById(id: string): void };
        commands: { execute(id: string): Promise<unknown> };
      };
      const app = (globalThis as unknown as { jupyterapp: App }).jupyterapp;
      // Commands act on the notebook tracker's current notebook: make it the one with this file.
      const widget = [...app.shell.widgets("main")].find((w) => w.context?.path === path);
      if (!widget) throw new Error(`no notebook panel for ${path}`);
      app.shell.activateById(widget.id);
      await new Promise((r) => setTimeout(r, 500));
      await app.commands.execute("notebook:clear-all-cell-outputs");
      void app.commands.execute("notebook:run-all-cells");
    }, name);
    // Done = kernel idle, no cell queued and every cell with a count.
    const shot = path.join(shots, name);
    const done = (s: Awaited<ReturnType<typeof state>>) => s.status === "idle" && s.pending === 0 && s.unexecuted === 0;
    await waitUntilQuiet(page, { name, shot, limitMs }, state, done);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
    const id = await page.evaluate(
      (path) =>
        [...(globalThis as unknown as { jupyterapp: { shell: {
          widgets(a: string): Iterable<{ id: string; context?: { path: string } }>
        } } }).jupyterapp.shell.widgets("main")].find(
          (w) => w.context?.path === path,
        )?.id ?? "",
      name,
    );
    return { page, panel: `[id="${id}"]` };
  }

  const committedCharts = (name: string): number =>
    readNotebook(path.join(ROOT, "notebooks", name)).cells.flatMap((c) => c.outputs ?? [])
      .filter((o) => o.data && CHART_MIME in o.data).length;
  const committedTables = (name: string): number =>
    readNotebook(path.join(ROOT, "notebooks", name))
      .cells.flatMap((c) => c.outputs ?? [])
      .filter((o) => o.data && /<table/.test(([] as string[]).concat((o.data["text/html"] as string | string[]) ?? []).join(""))).length;

  async function chartsAreInteractive(page: Page, panel: string, name: string): Promise<void> {
    const want = committedCharts(name);
    assert.ok(want > 0, `${name} has no committed chart`);
    // JupyterLab's vega renderer (no data-mime-type attribute on its output node).
    const outputs = page.locator(`${panel} .jp-OutputArea-output.jp-RenderedVegaLite`);
    await outputs.nth(want - 1).locator(".vega-embed svg, .vega-embed canvas").first().waitFor({ timeout: MINUTE });
    const views = await outputs.evaluateAll((els) =>
      els.map((e) => {
        const embed = e.querySelector(".vega-embed");
        const drawn = embed?.querySelector("svg.marks, canvas.marks, svg, canvas") ?? null;
        const box = drawn ? (drawn as unknown as {
          getBoundingClientRect(): { width: number; height: number }
        }).getBoundingClientRect() : null;
        return {
          embed: embed !== null,
          drawn: drawn ? drawn.tagName.toLowerCase() : null,
          size: box ? [Math.round(box.width), Math.round(box.height)] : null,
          actions: embed?.querySelector("details summary") !== null && embed?.querySelector(".vega-actions a") !== null,
          img: e.querySelector("img") !== null,
        };
      }),
    );
    assert.equal(views.length, want, `${name}: ${views.length} vega-lite outputs on the page, ${want} charts committed`);
    for (const [k, v] of views.entries()) {
      assert.ok(v.embed && (v.drawn === "svg" || v.drawn === "canvas"), `${name} chart ${k}: not a vega-embed view: ${JSON.stringify(v)}`);
      assert.ok(v.size && v.size[0] > 50 && v.size[1] > 50, `${name} chart ${k}: drawn with no size: ${JSON.stringify(v)}`);
      assert.ok(v.actions, `${name} chart ${k}: no vega-embed actions menu`);
      assert.ok(!v.img, `${name} chart ${k}: shows an image, the PNG fallback`);
    }
    const pngs = await page.locator(`${panel} .jp-OutputArea-output[data-mime-type="image/png"]`).count();
    assert.equal(pngs, 0, `${name}: ${pngs} PNG outputs shown (the chart bundles' PNG must lose to the vega-lite view)`);
    for (let k = 0; k < Math.min(views.length, 3); k++) {
      await outputs.nth(k).scrollIntoViewIfNeeded();
      await outputs.nth(k).screenshot({ path: path.join(shots, `${name}-chart-${k}.png`) });
    }
  }

  async function errorsShown(page: Page, panel: string): Promise<string[]> {
    return page.locator(`${panel} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`).allTextContents();
  }

  for (const name of NOTEBOOKS) {
    it(`${name}: Run All draws every chart as vega-embed, DataFrames as tables, no error`, { timeout: 8 * MINUTE }, async () => {
      const { page, panel } = await runAll(name, 7 * MINUTE);
      try {
        assert.ok((await page.locator(`${panel} .jp-CodeCell`).count()) > 0, "no code cells on the page");
        assert.deepEqual((await errorsShown(page, panel)).filter((t) => /Error/.test(t)), [], `${name}: error output`);
        await chartsAreInteractive(page, panel, name);
        const tables = await page.locator(`${panel} .jp-OutputArea-output[data-mime-type="text/html"] table`).count();
        assert.ok(tables >= committedTables(name), `${name}: ${tables} HTML tables shown, ${committedTables(name)} committed`);
        console.log(
          `jupyterlab: ${name}: ${committedCharts(name)} interactive charts, ${tables} tables; ` +
            `screenshots in ${path.relative(process.cwd(), shots)}`
        );
      } finally {
        await page.close();
      }
    });
  }

  it("an error shows as an error output", { timeout: 4 * MINUTE }, async () => {
    const { page, panel } = await runAll(ERROR_NB, 2 * MINUTE);
    try {
      const errors = await errorsShown(page, panel);
      assert.equal(errors.length, 1, `error outputs: ${JSON.stringify(errors)}`);
      assert.match(errors[0], /Error: deliberate error for the Lab test/);
      const out = await page.locator(`${panel} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]`).allTextContents();
      await page.locator(`${panel} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`).screenshot({
        path: path.join(shots, `${ERROR_NB}-error.png`)
      });
      assert.deepEqual(out.map((t) => t.trim()), ["before the error"]);
    } finally {
      await page.close();
    }
  });
});
