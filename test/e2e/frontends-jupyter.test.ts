/**
 * reglab in real Jupyter clients (Debian's /usr/bin/jupyter, not a pyenv or
 * pip Jupyter): the kernelspec written by `reglab install --prefix` is what
 * the clients start.
 *
 * - Notebooks: each shipped notebook is executed by nbconvert (nbclient,
 *   `--execute --allow-errors`) and by `reglab run --allow-errors`, each in
 *   its own copy of the workspace, and the two runs must agree cell by cell:
 *   the same cells fail (same error names), the same stream text and
 *   text/plain once clock-dependent parts are normalised (durations, %timeit
 *   loop counts, training-progress lines), the same output types with the
 *   same MIME keys.
 *   Running every notebook twice is slow (a chapter notebook takes up to
 *   ~90 s per client), so by default only a subset runs: 00-welcome,
 *   00-kernel-tour and the chapter notebook (name not starting with 00-)
 *   with the fewest code cells. REGLAB_FULL_FRONTENDS=1 runs every notebook in notebooks/;
 *   REGLAB_FRONTENDS_NOTEBOOKS=a.ipynb,b.ipynb picks an explicit list.
 * - `jupyter run --kernel=reglab script.ts` prints the script's output.
 * - `jupyter console --kernel=reglab --simple-prompt`, driven through stdin,
 *   executes a cell and exits at end of input.
 * - nbconvert: without --allow-errors a failing cell stops the run with the
 *   cell's error; with it, later cells still run and keep their outputs.
 * - nbconvert --to html shows each chart as an inline PNG <img>.
 *
 * Skipped (with the reason) when Debian's Jupyter or the built CLI is
 * missing; CI installs them (.ci/run).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  CLI,
  JUPYTER,
  NOTEBOOKS,
  compareRuns,
  jupyterEnv,
  joined,
  missingJupyter,
  readNotebook,
  run,
  shippedNotebooks,
  start,
  summarise,
  normaliseTimings,
  artifactsDir,
  chartPngs,
  makeNotebook,
  SMALL_CHART_CELLS,
  type JupyterEnv,
  type Notebook,
  type Finished,
} from "../support/frontends";

const FULL = process.env.REGLAB_FULL_FRONTENDS === "1";
const MINUTE = 60_000;

function selectedNotebooks(): string[] {
  const all = shippedNotebooks();
  const explicit = process.env.REGLAB_FRONTENDS_NOTEBOOKS;
  if (explicit) return explicit.split(",").map((s) => s.trim()).filter((s) => all.includes(s));
  if (FULL) return all;
  // The chapter notebook with the fewest code cells: a rough stand-in for the quickest.
  const chapter = all
    .filter((f) => !f.startsWith("00-"))
    .map((f) => ({ f, cells: readNotebook(path.join(NOTEBOOKS, f)).cells.filter((c) => c.cell_type === "code").length }))
    .sort((a, b) => a.cells - b.cells || a.f.localeCompare(b.f))[0]?.f;
  return [...all.filter((f) => f === "00-welcome.ipynb" || f === "00-kernel-tour.ipynb"), ...(chapter ? [chapter] : [])];
}

const nbconvertMissing = missingJupyter("nbconvert");
const notebooks = selectedNotebooks();

function explain(r: Finished): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ""}${r.timedOut ? ", timed out" : ""}` +
    `\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

function nbconvertArgs(extra: string[]): string[] {
  return ["nbconvert", "--ExecutePreprocessor.kernel_name=reglab", "--ExecutePreprocessor.timeout=300", ...extra];
}

describe("nbconvert and reglab run agree on the shipped notebooks", {
  skip: nbconvertMissing ?? (notebooks.length === 0 ? "no notebooks in notebooks/" : false)
}, () => {
  let env: JupyterEnv | undefined;
  const outNbconvert = (): string => path.join(env!.root, "out-nbconvert");
  const outRun = (): string => path.join(env!.root, "out-run");
  const limit = (FULL ? 60 : 12) * MINUTE;
  // Started by the first test that needs it (not in before(): a --test-name-pattern run that
  // selects none of these tests should not pay for it).
  let pending: Promise<{ nbconvert: Finished; run: Finished }> | undefined;
  const runs = (): Promise<{ nbconvert: Finished; run: Finished }> =>
    (pending ??= (async () => {
      console.log(
        `frontends: comparing ${notebooks.join(", ")}${FULL ? " (REGLAB_FULL_FRONTENDS=1)" : " (subset; REGLAB_FULL_FRONTENDS=1 for all)"}`
      );
      env = jupyterEnv("frontends");
      const wsA = env.workspace("ws-nbconvert", notebooks);
      const wsB = env.workspace("ws-run", notebooks);
      // The two clients run at the same time, each in its own copy (notebooks write files next to themselves).
      const [nbconvert, reglabRun] = await Promise.all([
        run(JUPYTER, nbconvertArgs([
          "--to", "notebook", "--execute", "--allow-errors", "--output-dir", outNbconvert(), ...notebooks.map((n) => path.join(wsA, n))
        ]), {
          cwd: wsA,
          env: env.env,
          timeoutMs: limit,
        }),
        run(process.execPath, [
          CLI, "run", ...notebooks.map((n) => path.join(wsB, n)), "--out", outRun(), "--allow-errors", "--timeout", "300", "--quiet"
        ], {
          cwd: wsB,
          env: env.env,
          timeoutMs: limit,
        }),
      ]);
      return { nbconvert, run: reglabRun };
    })());
  after(() => env?.cleanup());
  const timeout = limit + 2 * MINUTE;

  it("both clients finish", { timeout }, async () => {
    const results = await runs();
    assert.equal(results.nbconvert.code, 0, `jupyter nbconvert --execute failed: ${explain(results.nbconvert)}`);
    assert.equal(results.run.code, 0, `reglab run failed: ${explain(results.run)}`);
  });

  for (const nb of notebooks) {
    it(`${nb}: same cells succeed, same text outputs and MIME keys`, { timeout }, async () => {
      const results = await runs();
      const fa = path.join(outNbconvert(), nb);
      const fb = path.join(outRun(), nb);
      assert.ok(fs.existsSync(fa), `nbconvert wrote no ${nb}: ${explain(results.nbconvert)}`);
      assert.ok(fs.existsSync(fb), `reglab run wrote no ${nb}: ${explain(results.run)}`);
      const a = readNotebook(fa);
      const b = readNotebook(fb);
      const diffs = compareRuns(a, b, ["nbconvert", "reglab run"]);
      assert.deepEqual(diffs, [], `${nb}: the clients disagree:\n${diffs.join("\n")}`);
      // Guard against agreeing on nothing: every code cell with source ran in both.
      const ran = summarise(a).length;
      assert.ok(ran > 0, `${nb}: no code cells`);
      const failed = summarise(a).filter((c) => c.errors.length > 0);
      if (failed.length > 0) console.log(
        `${nb}: cells failing in both clients: ${failed.map((c) => `${c.index} ${c.errors.join()}`).join("; ")}`
      );
    });
  }

  it("nbconvert --to html shows every chart as an inline PNG image", { timeout: timeout + 3 * MINUTE }, async () => {
    await runs();
    const e = env!;
    // The executed notebook with the most PNG outputs (chart bundles carry image/png for exactly this client).
    const executed = notebooks
      .map((n) => path.join(outNbconvert(), n))
      .filter((f) => fs.existsSync(f))
      .map((f) => ({ f, nb: readNotebook(f) }))
      .map(({ f, nb }) => ({ f, nb, charts: chartPngs(nb).length }))
      .sort((x, y) => y.charts - x.charts)[0];
    let source = executed && executed.charts > 0 ? executed.f : null;
    if (source === null) {
      // No chart among the compared notebooks: execute a small chart notebook.
      const file = path.join(e.root, "charts-small.ipynb");
      fs.writeFileSync(file, JSON.stringify(makeNotebook(SMALL_CHART_CELLS)));
      const r = await run(JUPYTER, nbconvertArgs([
        "--to", "notebook", "--execute", "--output-dir", path.join(e.root, "charts-exec"), file
      ]), {
        cwd: e.root,
        env: e.env,
        timeoutMs: 2 * MINUTE,
      });
      assert.equal(r.code, 0, `executing the small chart notebook failed: ${explain(r)}`);
      source = path.join(e.root, "charts-exec", "charts-small.ipynb");
    }
    const nb = readNotebook(source);
    const charts = chartPngs(nb);
    assert.ok(charts.length > 0, "no chart output to export");
    const outDir = artifactsDir("nbconvert-html");
    const r = await run(JUPYTER, ["nbconvert", "--to", "html", "--output-dir", outDir, source], {
      cwd: e.root, env: e.env, timeoutMs: 2 * MINUTE
    });
    assert.equal(r.code, 0, `nbconvert --to html failed: ${explain(r)}`);
    const html = fs.readFileSync(path.join(outDir, path.basename(source, ".ipynb") + ".html"), "utf8");
    const imgs = html.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/=\s]+"/g) ?? [];
    const inHtmlOutputs = nb.cells
      .flatMap((c) => c.outputs ?? [])
      .map((o) => joined(o.data?.["text/html"]))
      .reduce((n, h) => n + (h.match(/<img src="data:image\/png;base64,/g) ?? []).length, 0);
    assert.equal(
      imgs.length, charts.length + inHtmlOutputs,
      `${path.basename(source)}: ${imgs.length} PNG <img> in the HTML, ` +
        `${charts.length} chart outputs (+${inHtmlOutputs} images inside HTML outputs)`
    );
    const htmlFlat = html.replace(/\s/g, "");
    for (const [k, png] of charts.entries()) {
      assert.ok(
        htmlFlat.includes(`<imgsrc="data:image/png;base64,${png}"`),
        `chart ${k} of ${path.basename(source)}: its PNG is not in an <img> of the HTML`
      );
    }
    console.log(`nbconvert html: ${path.basename(source)} with ${charts.length} chart image(s) -> ${path.relative(process.cwd(), outDir)}`);
  });
});

describe("jupyter run, jupyter console and nbconvert --allow-errors with the reglab kernel", {
  skip: missingJupyter("nbconvert", "run", "console") ?? false
}, () => {
  let env: JupyterEnv;
  before(() => {
    env = jupyterEnv("frontends-cli");
  });
  after(() => env?.cleanup());

  const SCRIPT = 'const xs: number[] = [1, 2, 3, 4];\nconsole.log(`sum ${xs.reduce((a, b) => a + b, 0)}`);\n';

  /** `jupyter run --kernel=<name> script.ts`, stopped early when the kernel rejects its argv. */
  async function jupyterRun(kernel: string): Promise<Finished> {
    const script = path.join(env.root, "script.ts");
    fs.writeFileSync(script, SCRIPT);
    const p = start(JUPYTER, ["run", `--kernel=${kernel}`, script], { cwd: env.root, env: env.env, timeoutMs: 90_000 });
    // A kernel that dies at start leaves jupyter run waiting forever: stop as soon as that shows.
    const watch = setInterval(() => {
      if (/unexpected argument/.test(p.stderr())) p.kill();
    }, 200);
    return p.done.finally(() => clearInterval(watch));
  }

  it("jupyter run --kernel=reglab script.ts prints the script's output", { timeout: 2 * MINUTE }, async () => {
    // jupyter run appends the script's path to the kernelspec argv (jupyter_client
    // RunApp.build_kernel_argv): the kernel must start anyway.
    const r = await jupyterRun("reglab");
    assert.doesNotMatch(r.stderr, /reglab: unexpected argument/, `the kernel rejected jupyter run's extra argument: ${explain(r)}`);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^sum 10$/m, explain(r));
  });

  it("jupyter console --simple-prompt executes a cell from stdin and exits at end of input", { timeout: 2 * MINUTE }, async () => {
    const r = await run(JUPYTER, ["console", "--kernel=reglab", "--simple-prompt", "--ZMQTerminalInteractiveShell.confirm_exit=False"], {
      cwd: env.root,
      env: env.env,
      timeoutMs: 90_000,
      input: "console.log(6 * 7)\n",
    });
    assert.equal(r.timedOut, false, `jupyter console did not exit: ${explain(r)}`);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /In \[1\]: 42\b/, `the cell's output is missing: ${explain(r)}`);
    assert.match(r.stdout, /reglab/, "the banner (kernel_info) is missing");
  });

  it("nbconvert stops at a failing cell, and with " +
    "--allow-errors runs the later cells with their outputs", { timeout: 3 * MINUTE }, async () => {
    const cells = [
      'console.log("before the failure");',
      'throw new Error("boom in cell 2");',
      'const answer: number = 6 * 7;\nconsole.log(`after the failure: ${answer}`);',
      "const wrong: number = \"not a number\";",
      "answer + 1",
    ];
    const file = path.join(env.root, "failing.ipynb");
    fs.writeFileSync(file, JSON.stringify(makeNotebook(cells)));

    const strict = await run(JUPYTER, nbconvertArgs([
      "--to", "notebook", "--execute", "--output-dir", path.join(env.root, "strict"), file
    ]), {
      cwd: env.root,
      env: env.env,
      timeoutMs: 2 * MINUTE,
    });
    assert.notEqual(strict.code, 0, `nbconvert should fail on the throwing cell: ${explain(strict)}`);
    assert.match(strict.stderr, /boom in cell 2/, `nbconvert's error should show the cell's error: ${explain(strict)}`);

    const lenient = await run(JUPYTER, nbconvertArgs([
      "--to", "notebook", "--execute", "--allow-errors", "--output-dir", path.join(env.root, "lenient"), file
    ]), {
      cwd: env.root,
      env: env.env,
      timeoutMs: 2 * MINUTE,
    });
    assert.equal(lenient.code, 0, explain(lenient));
    const nb = readNotebook(path.join(env.root, "lenient", "failing.ipynb"));
    const s = summarise(nb);
    assert.deepEqual(
      s.map((c) => c.errors.length > 0),
      [false, true, false, true, false],
      `which cells failed: ${JSON.stringify(s.map((c) => c.outputs))}`,
    );
    assert.equal(nb.cells[1].outputs?.[0]?.evalue, "boom in cell 2");
    assert.deepEqual(s[0].outputs, ["stdout: before the failure\n"]);
    assert.deepEqual(s[2].outputs, ["stdout: after the failure: 42\n"]);
    assert.match(JSON.stringify(nb.cells[3].outputs), /not assignable to type 'number'|not a number/);
    assert.deepEqual(s[4].outputs, ["execute_result [text/plain] 43"]);
  });
});

describe("output normalisation used by the comparison", () => {
  it("hides durations and %timeit loop counts but keeps other numbers", () => {
    assert.equal(normaliseTimings("CPU times: user 262 ms, sys: 52.6 ms, total: 315 ms"), "CPU times: user <T>, sys: <T>, total: <T>");
    assert.equal(
      normaliseTimings("570 µs ± 152 µs per loop (mean ± std. dev. of 3 runs, 1000 loops each)"),
      "<T> ± <T> per loop (mean ± std. dev. of 3 runs, <N> loops each)"
    );
    assert.equal(normaliseTimings("Wall time: 1.06 s"), "Wall time: <T>");
    assert.equal(normaliseTimings("3 seeds, 12 samples, loss 0.25, 2 min"), "3 seeds, 12 samples, loss 0.25, <T>");
  });

  it("reports a changed text, a missing MIME key, a new error and a progress display on one side", () => {
    const base = (): Notebook => ({
      metadata: {},
      cells: [
        { cell_type: "code", source: "a", outputs: [{ output_type: "stream", name: "stdout", text: "loss 0.5 in 12 ms\n" }] },
        { cell_type: "code", source: "b", outputs: [{ output_type: "display_data", data: { "image/png": "x", "text/plain": "<chart>" } }] },
        { cell_type: "code", source: "c", outputs: [] },
      ],
    });
    assert.deepEqual(compareRuns(base(), base(), ["A", "B"]), []);
    const timing = base();
    timing.cells[0].outputs![0].text = "loss 0.5 in 80 ms\n";
    assert.deepEqual(compareRuns(base(), timing, ["A", "B"]), [], "a different duration is not a difference");

    const text = base();
    text.cells[0].outputs![0].text = "loss 0.6 in 12 ms\n";
    assert.equal(compareRuns(base(), text, ["A", "B"]).length, 1);
    const mime = base();
    delete mime.cells[1].outputs![0].data!["image/png"];
    assert.match(compareRuns(base(), mime, ["A", "B"]).join(), /image\/png/);
    const err = base();
    err.cells[2].outputs = [{ output_type: "error", ename: "Error", evalue: "x" }];
    assert.match(compareRuns(base(), err, ["A", "B"]).join(), /errors A \[\] vs B \[Error\]/);
    const progress = base();
    progress.cells[2].outputs = [{ output_type: "display_data", data: {
      "text/html": "<div/>", "text/plain": "fit [####----] 50% epoch 2/4 | 1.0 s"
    } }];
    assert.match(compareRuns(base(), progress, ["A", "B"]).join(), /progress shown by B only/);
    const headless = base();
    headless.cells[2].outputs = [{
      output_type: "stream", name: "stdout", text: "fit [####----] 50% epoch 2/4 | 0.4 s\nfit: done, 4 epochs in 0.9 s\n"
    }];
    assert.deepEqual(compareRuns(progress, headless, ["A", "B"]), [], "a live progress display and headless progress lines agree");
  });
});
