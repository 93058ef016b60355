/**
 * `reglab run`: execute notebooks headlessly, one fresh kernel per notebook,
 * and save them with their outputs (like `jupyter nbconvert --execute`).
 *
 * Behaviour (also in USAGE below):
 * - All notebooks are read and validated before anything runs; if one is
 *   malformed, every problem is reported, nothing runs and nothing is
 *   written (exit 2).
 * - Code cells run in order; empty (whitespace-only) code cells are skipped
 *   and left without outputs, like nbclient.
 * - The first failing cell (error, timeout, kernel death) stops its notebook
 *   unless --allow-errors; later notebooks still run. Cells that did not run
 *   are cleared (no outputs, no execution_count), so the saved notebook
 *   shows only what this run produced.
 * - A cell over --timeout is interrupted; if it has not stopped 5 s later
 *   the kernel is killed. The cell gets a `CellTimeoutError` error output.
 *   With --allow-errors the run continues if the kernel survived.
 * - Stored stream outputs are capped at --max-stream-lines (default 2000):
 *   first 4/5 and last 1/5 of the lines with a "… K lines truncated …"
 *   marker (outputs.ts `truncateStreams`); live front ends get everything.
 * - SIGINT/SIGTERM: the current cell is interrupted, what ran is written,
 *   exit 130 (a second signal kills the kernel at once).
 * - Exit status: 0 every notebook ran to its end (with --allow-errors, cell
 *   errors allowed), 1 a notebook stopped early (failing cell, kernel death,
 *   kernel that did not start), 2 usage error or invalid notebook, 130
 *   stopped by a signal.
 */
import fs from "fs";
import path from "path";
import { runnerArgs, type RunOptions } from "./args";
import { NotebookReport, Printer, StopState, executeNotebook, fmtSeconds } from "./execute";
import { Notebook, NotebookError, readNotebook, writeNotebook } from "./notebook";

export const USAGE = `Usage: reglab run <notebook.ipynb | directory>... [options]

Execute notebooks headlessly with a fresh reglab kernel each (working
directory = the notebook's folder, REGLAB_HEADLESS=1) and save them with
their outputs.

A directory means its *.ipynb files, sorted by name, skipping
.ipynb_checkpoints and *.out.ipynb (earlier outputs of this command).

Output (choose one; default: next to the input as <name>.out.ipynb):
  --out DIR           write DIR/<name>.ipynb (DIR is created)
  --inplace           overwrite the input notebooks

Options:
  --timeout S         per-cell timeout in seconds (default 600; 0 = none);
                      a cell over it is interrupted, then its kernel killed
                      if still busy 5 s later
  --allow-errors      keep running after a failing cell (default: stop that
                      notebook at its first failure; other notebooks still run)
  --kernel-argv JSON  launch another kernel, e.g.
                      '["python3","-m","ipykernel_launcher","-f","{connection_file}"]'
  --startup-timeout S seconds to wait for a kernel to start (default 60)
  --max-stream-lines N
                      store at most N lines of each stream output (default
                      2000: the first 4/5 and the last 1/5, with a marker
                      line saying how many were dropped; 0 = keep all)
  --seed N            run as if every global seed the notebook sets (%seed n,
                      seed(n)) were another one: REGLAB_SEED_VARIANT=N in the
                      kernel makes seed(n) seed the stream "n/N"; explicit
                      seeds of data sets and models (rng(1), {seed: 1}) stay
  --quiet             only failures and the summary
  -h, --help          this help

Notebooks are validated before anything runs: a malformed notebook is
reported and nothing is executed or overwritten. Files are written
atomically as nbformat 4.5; cells after a stopping failure are cleared.
Exit status: 0 every notebook ran to its end (cell errors count only without
--allow-errors), 1 a notebook stopped early (failing cell, kernel died or did
not start), 2 usage error or invalid notebook, 130 interrupted (what ran is
written).`;

export function outputPath(input: string, o: Pick<RunOptions, "out" | "inplace">): string {
  if (o.inplace) return input;
  if (o.out !== undefined) return path.join(o.out, path.basename(input));
  return input.replace(/\.ipynb$/i, "") + ".out.ipynb";
}

export async function runCommand(argv: string[]): Promise<number> {
  const t0 = Date.now();
  const args = runnerArgs(argv, "run", USAGE);
  if (typeof args === "number") return args;
  const { o, files } = args;
  const p = new Printer(o.quiet);

  // Validate everything before running anything.
  const notebooks: Array<{ file: string; nb: Notebook; out: string }> = [];
  const problems: string[] = [];
  const outs = new Map<string, string>();
  for (const file of files) {
    try {
      const { notebook, warnings } = readNotebook(file);
      for (const w of warnings) p.problem(`warning: ${w}`);
      const out = outputPath(file, o);
      const prev = outs.get(path.resolve(out));
      if (prev !== undefined) problems.push(`${file} and ${prev} would both be written to ${out}`);
      outs.set(path.resolve(out), file);
      notebooks.push({ file, nb: notebook, out });
    } catch (e) {
      if (e instanceof NotebookError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) {
    for (const m of problems) p.problem(p.red(`reglab run: ${m}`));
    p.problem(`reglab run: nothing was run and no file was written (${problems.length} problem${problems.length === 1 ? "" : "s"})`);
    return 2;
  }
  if (o.out !== undefined) fs.mkdirSync(o.out, { recursive: true });

  const stop = new StopState();
  const onSignal = () => {
    p.problem(
      stop.signals === 0
        ? "\nreglab run: stopping (interrupting the running cell; again to kill the kernel)"
        : "\nreglab run: killing the kernel",
    );
    stop.hit();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reports: NotebookReport[] = [];
  try {
    for (const { file, nb, out } of notebooks) {
      if (stop.stopped) break;
      const r = await executeNotebook(file, nb, o, stop, p);
      // Nothing ran (kernel did not start, or a signal came first): leave the file alone.
      if (!r.startFailed && !(r.cells === 0 && stop.stopped)) {
        try {
          writeNotebook(out, nb);
          r.written = out;
        } catch (e) {
          p.problem(p.red(`${file}: could not write ${out}: ${(e as Error).message}`));
          r.failed++;
        }
      }
      reports.push(r);
      const status = r.stopped ? p.red("FAILED") : r.failed ? `ok with ${r.failed} error${r.failed === 1 ? "" : "s"} (allowed)` : "ok";
      p.line(
        `${file}: ${status} — ${r.cells} cell${r.cells === 1 ? "" : "s"} run, ${r.failed} failed, ${fmtSeconds(r.seconds)} s` +
          (r.stopped ? `; stopped: ${r.stopped}` : "") +
          (r.written ? `; written to ${r.written}` : "; nothing written"),
      );
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  const cells = reports.reduce((s, r) => s + r.cells, 0);
  const failed = reports.reduce((s, r) => s + r.failed, 0);
  const badStarts = reports.filter((r) => r.startFailed).length;
  if (notebooks.length > 1 || stop.stopped) {
    p.line(
      `total: ${reports.length}/${notebooks.length} notebook${notebooks.length === 1 ? "" : "s"}, ${cells} cells, ${failed} failed` +
        (badStarts ? `, ${badStarts} kernel start failure${badStarts === 1 ? "" : "s"}` : "") +
        `, ${fmtSeconds((Date.now() - t0) / 1000)} s`,
    );
  }
  if (stop.stopped) return 130;
  // A notebook that stopped early failed; with --allow-errors, errors in cells that ran are not failures.
  return reports.some((r) => r.stopped !== undefined) ? 1 : 0;
}
