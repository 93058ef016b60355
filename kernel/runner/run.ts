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
import { ExecuteAbortedError, ExecuteResult, KernelClient, KernelDiedError, KernelLaunch, TimeoutError } from "../protocol/client";
import { kernelArgv } from "../kernelspec";
import { type NbOutput, truncateStreams } from "./outputs";
import { Notebook, NotebookError, REGLAB_KERNELSPEC, readNotebook, setKernelMetadata, writeNotebook } from "./notebook";

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
  --quiet             only failures and the summary
  -h, --help          this help

Notebooks are validated before anything runs: a malformed notebook is
reported and nothing is executed or overwritten. Files are written
atomically as nbformat 4.5; cells after a stopping failure are cleared.
Exit status: 0 every notebook ran to its end (cell errors count only without
--allow-errors), 1 a notebook stopped early (failing cell, kernel died or did
not start), 2 usage error or invalid notebook, 130 interrupted (what ran is
written).`;

export class RunUsageError extends Error {}

export interface RunOptions {
  inputs: string[];
  out?: string;
  inplace: boolean;
  timeoutS: number;
  allowErrors: boolean;
  kernelArgv?: string[];
  startupTimeoutS: number;
  /** Stored lines per stream output (0: no limit); see truncateStreams. */
  maxStreamLines: number;
  quiet: boolean;
  help: boolean;
}

export function parseRunArgs(argv: string[]): RunOptions {
  const o: RunOptions = { inputs: [], inplace: false, timeoutS: 600, allowErrors: false, startupTimeoutS: 60, maxStreamLines: 2000, quiet: false, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new RunUsageError(`${flag} needs a value`);
    return v;
  };
  const seconds = (v: string, flag: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new RunUsageError(`${flag} needs a number of seconds >= 0, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, a);
      i++;
      return v;
    };
    switch (a) {
      case "-h":
      case "--help":
        o.help = true;
        break;
      case "--out":
        o.out = take();
        break;
      case "--inplace":
        o.inplace = true;
        break;
      case "--timeout":
        o.timeoutS = seconds(take(), a);
        break;
      case "--startup-timeout":
        o.startupTimeoutS = seconds(take(), a);
        break;
      case "--allow-errors":
        o.allowErrors = true;
        break;
      case "--max-stream-lines": {
        const v = take();
        const n = Number(v);
        if (v.trim() === "" || !Number.isInteger(n) || n < 0) throw new RunUsageError(`--max-stream-lines needs a whole number >= 0, got "${v}"`);
        o.maxStreamLines = n;
        break;
      }
      case "--quiet":
      case "-q":
        o.quiet = true;
        break;
      case "--kernel-argv": {
        const v = take();
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch {
          throw new RunUsageError(`--kernel-argv needs a JSON list of strings, got ${v}`);
        }
        if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((x) => typeof x === "string")) {
          throw new RunUsageError(`--kernel-argv needs a non-empty JSON list of strings, got ${v}`);
        }
        if (!parsed.some((x: string) => x.includes("{connection_file}"))) {
          throw new RunUsageError("--kernel-argv must contain {connection_file} where the connection file's path goes");
        }
        o.kernelArgv = parsed as string[];
        break;
      }
      default:
        if (a.startsWith("-") && a !== "-") throw new RunUsageError(`unknown option ${a}`);
        o.inputs.push(argv[i]);
    }
  }
  if (o.help) return o;
  if (o.out !== undefined && o.inplace) throw new RunUsageError("use either --out DIR or --inplace, not both");
  if (o.inputs.length === 0) throw new RunUsageError("no notebooks given");
  return o;
}

/** Files and directories → notebook paths, in order, without duplicates. */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const r = path.resolve(f);
    if (!seen.has(r)) {
      seen.add(r);
      out.push(f);
    }
  };
  for (const input of inputs) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(input);
    } catch {
      // reported as a missing notebook by readNotebook
    }
    if (st?.isDirectory()) {
      const names = fs
        .readdirSync(input)
        .filter((n) => n.endsWith(".ipynb") && !n.endsWith(".out.ipynb") && !n.startsWith("."))
        .filter((n) => fs.statSync(path.join(input, n)).isFile())
        .sort();
      if (names.length === 0) throw new RunUsageError(`${input}: no notebooks (*.ipynb) in this directory`);
      for (const n of names) add(path.join(input, n));
    } else {
      add(input);
    }
  }
  return out;
}

export function outputPath(input: string, o: Pick<RunOptions, "out" | "inplace">): string {
  if (o.inplace) return input;
  if (o.out !== undefined) return path.join(o.out, path.basename(input));
  return input.replace(/\.ipynb$/i, "") + ".out.ipynb";
}

type CellStatus = "ok" | "error" | "timeout" | "died" | "interrupted";

interface CellReport {
  index: number;
  status: CellStatus;
  seconds: number;
}

interface NotebookReport {
  file: string;
  written?: string;
  cells: number;
  failed: number;
  seconds: number;
  /** Why the notebook stopped early, if it did. */
  stopped?: string;
  startFailed?: boolean;
}

class Printer {
  readonly color: boolean;
  constructor(
    readonly quiet: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    this.color = Boolean(out.isTTY) && !process.env.NO_COLOR;
  }
  red(s: string): string {
    return this.color ? `\x1b[31m${s}\x1b[0m` : s;
  }
  line(s: string): void {
    this.out.write(s + "\n");
  }
  info(s: string): void {
    if (!this.quiet) this.line(s);
  }
  problem(s: string): void {
    this.err.write(s + "\n");
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function firstLine(source: string, width = 60): string {
  const l = source.split("\n").find((x) => x.trim() !== "") ?? "";
  const t = l.trim();
  return t.length > width ? t.slice(0, width - 1) + "…" : t;
}

function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(1) : s.toFixed(0);
}

/** The signal state shared by the run: the first SIGINT/SIGTERM sets `stop`, a second one `kill`. */
class StopState {
  readonly controller = new AbortController();
  signals = 0;
  onKill?: () => void;
  get stopped(): boolean {
    return this.signals > 0;
  }
  hit(): void {
    this.signals++;
    if (this.signals === 1) this.controller.abort();
    else this.onKill?.();
  }
}

const GRACE_MS = 5000;

function timeoutOutput(seconds: number, killed: boolean): NbOutput {
  const evalue = `the cell did not finish within ${seconds} s; it was interrupted${killed ? " and, still busy 5 s later, its kernel was killed" : ""}`;
  return { output_type: "error", ename: "CellTimeoutError", evalue, traceback: [`CellTimeoutError: ${evalue}`] };
}

function diedOutput(e: KernelDiedError): NbOutput {
  const evalue = `the kernel died while running this cell (${e.exit.signal ? `signal ${e.exit.signal}` : `exit code ${e.exit.code}`})`;
  return { output_type: "error", ename: "KernelDied", evalue, traceback: [`KernelDied: ${evalue}`, ...(e.stderrTail ? e.stderrTail.split("\n") : [])] };
}

interface CellOutcome {
  status: CellStatus;
  outputs: NbOutput[];
  executionCount: number | null;
  /** The kernel is gone (killed or died). */
  kernelGone: boolean;
  detail?: string;
}

/** Run one cell with timeout and signal handling; never throws for kernel trouble. */
async function runCell(client: KernelClient, code: string, o: RunOptions, stop: StopState): Promise<CellOutcome> {
  const fromResult = (r: ExecuteResult): CellOutcome => ({
    status: r.status === "ok" ? "ok" : "error",
    outputs: r.outputs,
    executionCount: r.executionCount,
    kernelGone: false,
    detail: r.status === "abort" ? "the kernel aborted the request" : undefined,
  });
  const died = (e: KernelDiedError, outputs: NbOutput[]): CellOutcome => ({
    status: "died",
    outputs: [...outputs, diedOutput(e)],
    executionCount: null,
    kernelGone: true,
    detail: e.message,
  });
  try {
    return fromResult(await client.execute(code, { timeoutMs: o.timeoutS * 1000, stopOnError: !o.allowErrors, signal: stop.controller.signal }));
  } catch (e) {
    if (e instanceof KernelDiedError) return died(e, []);
    if (!(e instanceof TimeoutError || e instanceof ExecuteAbortedError) || !e.settled) throw e;
    const status: CellStatus = e instanceof TimeoutError ? "timeout" : "interrupted";
    const partial = e.outputs;
    await client.interrupt().catch(() => undefined);
    let killNow!: () => void;
    const killed = new Promise<"kill">((r) => (killNow = () => r("kill")));
    stop.onKill = killNow;
    const timer = setTimeout(killNow, GRACE_MS);
    let settled: ExecuteResult | "kill";
    try {
      settled = await Promise.race([e.settled, killed]);
    } catch (e2) {
      clearTimeout(timer);
      if (e2 instanceof KernelDiedError) return died(e2, partial);
      throw e2;
    } finally {
      clearTimeout(timer);
      stop.onKill = undefined;
    }
    if (settled === "kill") {
      client.kill();
      await client.exited;
      const outputs = [...partial];
      if (status === "timeout") outputs.push(timeoutOutput(o.timeoutS, true));
      return { status, outputs, executionCount: null, kernelGone: true };
    }
    const outputs = [...settled.outputs];
    if (status === "timeout") outputs.push(timeoutOutput(o.timeoutS, false));
    return { status, outputs, executionCount: settled.executionCount, kernelGone: false };
  }
}

function describeFailure(outcome: CellOutcome): string {
  const err = [...outcome.outputs].reverse().find((x) => x.output_type === "error");
  if (outcome.status === "died") return outcome.detail ?? "the kernel died";
  if (err && err.output_type === "error") {
    const tb = err.traceback.length ? err.traceback.join("\n").replace(ANSI, "") : `${err.ename}: ${err.evalue}`;
    return tb;
  }
  return outcome.detail ?? outcome.status;
}

async function runNotebook(file: string, nb: Notebook, o: RunOptions, stop: StopState, p: Printer): Promise<NotebookReport> {
  const t0 = Date.now();
  const report: NotebookReport = { file, cells: 0, failed: 0, seconds: 0 };
  const code = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cell_type === "code");
  const todo = code.filter(({ c }) => c.source.trim() !== "");
  // Empty code cells are not executed (nbclient): they keep no outputs.
  for (const { c } of code) {
    if (c.source.trim() === "") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  p.info(`${file}: ${todo.length} code cell${todo.length === 1 ? "" : "s"}`);

  const useDefault = o.kernelArgv === undefined;
  const launch: KernelLaunch = {
    argv: o.kernelArgv ?? kernelArgv(),
    cwd: path.dirname(path.resolve(file)),
    env: { ...process.env, REGLAB_HEADLESS: "1" },
  };
  let client: KernelClient;
  try {
    client = await KernelClient.start(launch, { startupTimeoutMs: o.startupTimeoutS * 1000 || 60_000 });
  } catch (e) {
    p.problem(p.red(`${file}: the kernel did not start: ${(e as Error).message}`));
    report.startFailed = true;
    report.stopped = "the kernel did not start";
    report.seconds = (Date.now() - t0) / 1000;
    return report;
  }
  try {
    const info = await client.request("kernel_info_request", {}, { timeoutMs: 10_000 }).catch(() => null);
    setKernelMetadata(nb, info?.content.language_info, useDefault ? { ...REGLAB_KERNELSPEC } : undefined);
    let k = 0;
    let stopAt = -1; // position in `todo` of the first cell that did not run
    for (; k < todo.length; k++) {
      if (stop.stopped) {
        stopAt = k;
        report.stopped = "interrupted by a signal";
        break;
      }
      const { c } = todo[k];
      const ct = Date.now();
      const outcome = await runCell(client, c.source, o, stop);
      const secs = (Date.now() - ct) / 1000;
      truncateStreams(outcome.outputs, o.maxStreamLines);
      c.outputs = outcome.outputs;
      c.execution_count = outcome.executionCount;
      report.cells++;
      const failed = outcome.status !== "ok";
      if (failed) report.failed++;
      const label = `  [${String(k + 1).padStart(String(todo.length).length)}/${todo.length}] ${outcome.status.padEnd(11)} ${fmtSeconds(secs).padStart(5)}s  ${firstLine(c.source)}`;
      if (failed) {
        p.line(p.red(label));
        p.problem(describeFailure(outcome).replace(/^/gm, "      "));
      } else p.info(label);
      if (outcome.status === "interrupted") {
        stopAt = k + 1;
        report.stopped = "interrupted by a signal";
        break;
      }
      if (outcome.kernelGone) {
        stopAt = k + 1;
        report.stopped = outcome.status === "died" ? "the kernel died" : "the kernel was killed after a timeout";
        break;
      }
      if (failed && !o.allowErrors) {
        stopAt = k + 1;
        report.stopped = `cell ${k + 1} ${outcome.status === "timeout" ? "timed out" : "failed"}`;
        break;
      }
    }
    if (stopAt >= 0) {
      // Cells that did not run in this run are cleared, not left with stale outputs.
      for (const { c } of todo.slice(stopAt)) {
        c.outputs = [];
        c.execution_count = null;
      }
    }
  } finally {
    await client.shutdown({ graceMs: 3000 }).catch(() => undefined);
  }
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

/** `reglab run ...`; returns the exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const t0 = Date.now();
  let o: RunOptions;
  let files: string[];
  try {
    o = parseRunArgs(argv);
    if (o.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    files = expandInputs(o.inputs);
  } catch (e) {
    if (e instanceof RunUsageError) {
      process.stderr.write(`reglab run: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
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
    p.problem(stop.signals === 0 ? "\nreglab run: stopping (interrupting the running cell; again to kill the kernel)" : "\nreglab run: killing the kernel");
    stop.hit();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reports: NotebookReport[] = [];
  try {
    for (const { file, nb, out } of notebooks) {
      if (stop.stopped) break;
      const r = await runNotebook(file, nb, o, stop, p);
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
