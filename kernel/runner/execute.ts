/**
 * Executing one notebook in a fresh kernel, cell by cell, with timeouts,
 * signals and kernel death handled: the engine under `reglab run` and
 * `reglab check` (their option parsing and reporting live in run.ts and
 * check.ts). The policy is stated in run.ts's header.
 */
import path from "path";
import { KernelClient, KernelDiedError, KernelLaunch } from "../protocol/client";
import { CellResult, CellWaitError, executeCell } from "./execute-cell";
import { kernelArgv } from "../kernelspec";
import { type NbOutput, truncateStreams } from "./outputs";
import { Notebook, REGLAB_KERNELSPEC, setKernelMetadata } from "./notebook";

/** What executing a notebook needs (a subset of `reglab run`'s options). */
export interface ExecOptions {
  timeoutS: number;
  allowErrors: boolean;
  kernelArgv?: string[];
  startupTimeoutS: number;
  /** Stored lines per stream output (0: no limit); see truncateStreams. */
  maxStreamLines: number;
  /** Added to the kernel's environment (e.g. REGLAB_SEED_VARIANT). */
  env?: Record<string, string>;
}

export type CellStatus = "ok" | "error" | "timeout" | "died" | "interrupted";

export interface NotebookReport {
  file: string;
  written?: string;
  cells: number;
  failed: number;
  seconds: number;
  /** Why the notebook stopped early, if it did. */
  stopped?: string;
  startFailed?: boolean;
}

export class Printer {
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

/** ANSI colour sequences (tracebacks carry them). */
export const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function firstLine(source: string, width = 60): string {
  const l = source.split("\n").find((x) => x.trim() !== "") ?? "";
  const t = l.trim();
  return t.length > width ? t.slice(0, width - 1) + "…" : t;
}

export function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(1) : s.toFixed(0);
}

/** The signal state shared by the run: the first SIGINT/SIGTERM sets `stop`, a second one `kill`. */
export class StopState {
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
  const evalue = `the cell did not finish within ${seconds} s; ` +
    `it was interrupted${killed ? " and, still busy 5 s later, its kernel was killed" : ""}`;
  return { output_type: "error", ename: "CellTimeoutError", evalue, traceback: [`CellTimeoutError: ${evalue}`] };
}

function diedOutput(e: KernelDiedError): NbOutput {
  const evalue = `the kernel died while running this cell (${e.exit.signal ? `signal ${e.exit.signal}` : `exit code ${e.exit.code}`})`;
  return {
    output_type: "error",
    ename: "KernelDied",
    evalue,
    traceback: [`KernelDied: ${evalue}`, ...(e.stderrTail ? e.stderrTail.split("\n") : [])],
  };
}

interface CellRun {
  status: CellStatus;
  outputs: NbOutput[];
  executionCount: number | null;
  /** The kernel is gone (killed or died). */
  kernelGone: boolean;
  detail?: string;
}

/** Run one cell with timeout and signal handling; never throws for kernel trouble. */
async function runCell(client: KernelClient, code: string, o: ExecOptions, stop: StopState): Promise<CellRun> {
  const fromResult = (r: CellResult): CellRun => ({
    status: r.status === "ok" ? "ok" : "error",
    outputs: r.outputs,
    executionCount: r.executionCount,
    kernelGone: false,
    detail: r.status === "abort" ? "the kernel aborted the request" : undefined,
  });
  const died = (e: KernelDiedError, outputs: NbOutput[]): CellRun => ({
    status: "died",
    outputs: [...outputs, diedOutput(e)],
    executionCount: null,
    kernelGone: true,
    detail: e.message,
  });
  try {
    return fromResult(
      await executeCell(client, code, { timeoutMs: o.timeoutS * 1000, stopOnError: !o.allowErrors, signal: stop.controller.signal }),
    );
  } catch (e) {
    if (e instanceof KernelDiedError) return died(e, []);
    if (!(e instanceof CellWaitError)) throw e;
    const status: CellStatus = e.reason === "timeout" ? "timeout" : "interrupted";
    const partial = e.outputs;
    // An interrupt that fails (kernel already gone) changes nothing: the grace timer below kills it.
    await client.interrupt().catch(() => undefined);
    let killNow!: () => void;
    const killed = new Promise<"kill">((r) => (killNow = () => r("kill")));
    stop.onKill = killNow;
    const timer = setTimeout(killNow, GRACE_MS);
    let settled: CellResult | "kill";
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

function describeFailure(outcome: CellRun): string {
  const err = [...outcome.outputs].reverse().find((x) => x.output_type === "error");
  if (outcome.status === "died") return outcome.detail ?? "the kernel died";
  if (err && err.output_type === "error") {
    const tb = err.traceback.length ? err.traceback.join("\n").replace(ANSI, "") : `${err.ename}: ${err.evalue}`;
    return tb;
  }
  return outcome.detail ?? outcome.status;
}

/** Run `nb`'s code cells in a fresh kernel; outputs and execution counts are written into `nb`. */
export async function executeNotebook(file: string, nb: Notebook, o: ExecOptions, stop: StopState, p: Printer): Promise<NotebookReport> {
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
    env: { ...process.env, REGLAB_HEADLESS: "1", ...o.env },
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
      const label = `  [${String(k + 1).padStart(String(todo.length).length)}/${todo.length}] ` +
        `${outcome.status.padEnd(11)} ${fmtSeconds(secs).padStart(5)}s  ${firstLine(c.source)}`;
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
