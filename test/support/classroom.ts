/**
 * A class working through a chapter notebook at the same time: every user of
 * a `Hub` starts a reglab kernel on their own server, runs the notebook's code
 * cells (plus one cell that draws a chart) over the websocket API, and the
 * outputs are compared with the committed notebook's. Shared by the hub e2e
 * test and `npm run bench -- --only=classroom`.
 */
import fs from "fs";
import path from "path";
import { createKernel, WsKernel, type CellOutput } from "./jupyter-ws";
import { cpuSeconds, kernelPid, memoryMB, type Hub, type UserServer } from "./hub";

export const CLASSROOM_NOTEBOOK = path.resolve(__dirname, "..", "..", "..", "notebooks", "00-welcome.ipynb");

/** Appended to the notebook: the chapter's training ends with a chart (vega-lite spec + PNG). */
export const CHART_CELL = `import { learningCurves } from "reglab";\nlearningCurves({ loss: losses }, { title: "loss per epoch" })`;

interface NbCell {
  cell_type: string;
  source: string | string[];
  outputs?: CellOutput[];
}

export interface ClassCell {
  code: string;
  /** Text the cell must print / return, as the committed notebook has it. */
  expected: string[];
  /** MIME types the cell must display (the chart cell). */
  mimes: string[];
}

const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : (s ?? ""));

/** What a cell showed, as comparable text: streams and text/plain results, in order. */
export function shownText(outputs: CellOutput[]): string[] {
  return outputs.flatMap((o) => {
    if (o.output_type === "stream") return [`${o.name}: ${text(o.text)}`];
    if (o.output_type === "execute_result") return [`result: ${text(o.data?.["text/plain"] as string | string[] | undefined)}`];
    if (o.output_type === "error") return [`error: ${o.ename}: ${o.evalue}`];
    return [];
  });
}

/** The notebook's code cells with their committed outputs, then the chart cell. */
export function classCells(notebook = CLASSROOM_NOTEBOOK): ClassCell[] {
  const nb = JSON.parse(fs.readFileSync(notebook, "utf8")) as { cells: NbCell[] };
  const cells = nb.cells
    .filter((c) => c.cell_type === "code" && text(c.source).trim() !== "")
    .map((c) => ({ code: text(c.source), expected: shownText(c.outputs ?? []), mimes: [] as string[] }));
  if (cells.length === 0) throw new Error(`${notebook}: no code cells`);
  cells.push({ code: CHART_CELL, expected: [], mimes: ["application/vnd.vegalite.v5+json", "image/png"] });
  return cells;
}

export interface UserRun {
  user: string;
  kernelId: string;
  kernel: WsKernel | null;
  /** Seconds from asking for a kernel to the last cell's reply. */
  wallS: number;
  /** Of them, seconds until the websocket opened (the server waits for the kernel's kernel_info reply). */
  connectS: number;
  /** Of them, seconds until the kernel answered its first cell. */
  kernelStartS: number;
  rssMB: number;
  peakMB: number;
  /** CPU seconds the kernel used (start included): the class's cost whatever else runs on the machine. */
  kernelCpuS: number;
  /** Empty when every cell completed with the expected outputs. */
  failures: string[];
}

/** Run the class notebook on one user's new kernel; the websocket is left open (`kernel`) unless `close`. */
export async function runUser(hub: Hub, u: UserServer, cells: ClassCell[], opts: { close?: boolean } = {}): Promise<UserRun> {
  const t0 = Date.now();
  const run: UserRun = {
    user: u.name, kernelId: "", kernel: null, wallS: NaN, connectS: NaN, kernelStartS: NaN,
    rssMB: NaN, peakMB: NaN, kernelCpuS: NaN, failures: [],
  };
  try {
    run.kernelId = await createKernel(u.url, u.token, hub.kernelName);
    run.kernel = await WsKernel.connect(u.url, u.token, run.kernelId);
    run.connectS = (Date.now() - t0) / 1000;
    for (const [i, cell] of cells.entries()) {
      const r = await run.kernel.execute(cell.code, 180_000);
      if (i === 0) run.kernelStartS = (Date.now() - t0) / 1000;
      const shown = shownText(r.outputs);
      if (r.status !== "ok") run.failures.push(`cell ${i}: status ${r.status}: ${shown.join(" | ").slice(0, 300)}`);
      else if (cell.expected.length > 0 && JSON.stringify(shown) !== JSON.stringify(cell.expected)) {
        run.failures.push(`cell ${i}: outputs differ:\n  got      ${JSON.stringify(shown)}\n  expected ${JSON.stringify(cell.expected)}`);
      }
      const mimes = new Set(r.outputs.flatMap((o) => Object.keys(o.data ?? {})));
      const got = [...mimes].join(", ") || "none";
      for (const m of cell.mimes) if (!mimes.has(m)) run.failures.push(`cell ${i}: no ${m} output (got ${got})`);
    }
    run.wallS = (Date.now() - t0) / 1000;
    const pid = kernelPid(run.kernelId);
    if (pid === null) run.failures.push("kernel process not found after the notebook");
    else {
      const m = memoryMB(pid);
      Object.assign(run, { rssMB: m.rss, peakMB: m.peak, kernelCpuS: cpuSeconds(pid) });
    }
  } catch (e) {
    const after = ((Date.now() - t0) / 1000).toFixed(1);
    run.failures.push(`${e instanceof Error ? e.message : String(e)} (after ${after} s; ${kernelState(hub, run.kernelId)})`);
  }
  if (opts.close) run.kernel?.close();
  return run;
}

/** CPU seconds of `pid`, or null if it has exited meanwhile (a failure report must not throw). */
function cpuIfRunning(pid: number): number | null {
  try {
    return cpuSeconds(pid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** For a failure: is the kernel's process there, how much CPU it has had, and what the hub's log says about it. */
function kernelState(hub: Hub, kernelId: string): string {
  if (!kernelId) return "no kernel was created";
  const pid = kernelPid(kernelId);
  const cpu = pid === null ? null : cpuIfRunning(pid);
  const proc = pid === null || cpu === null ? "no kernel process" : `kernel pid ${pid}, ${cpu.toFixed(1)} CPU s`;
  const lines = hub.hubLog().split("\n").filter((l) => l.includes(kernelId));
  return `${proc}; hub log on it:\n  ${lines.slice(-12).join("\n  ") || "(nothing)"}`;
}

/** Every user runs the notebook at once. */
export function runClass(hub: Hub, users: UserServer[], cells: ClassCell[], opts: { close?: boolean } = {}): Promise<UserRun[]> {
  return Promise.all(users.map((u) => runUser(hub, u, cells, opts)));
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** One line per user, for the test log and the benchmark. */
export function runTable(runs: UserRun[]): string {
  const lines = runs.map((r) =>
    `${r.user.padEnd(8)} wall ${r.wallS.toFixed(1).padStart(6)} s  websocket ${r.connectS.toFixed(1).padStart(5)} s  ` +
    `first cell ${r.kernelStartS.toFixed(1).padStart(5)} s  ` +
    `kernel RSS ${r.rssMB.toFixed(0).padStart(4)} MB (peak ${r.peakMB.toFixed(0)}), CPU ${r.kernelCpuS.toFixed(1)} s  ` +
    (r.failures.length ? "FAILED: " + r.failures.join("; ") : "ok"),
  );
  const w = runs.map((r) => r.wallS);
  const maxRss = Math.max(...runs.map((r) => r.rssMB));
  lines.push(`median ${quantile(w, 0.5).toFixed(1)} s, p90 ${quantile(w, 0.9).toFixed(1)} s, max RSS ${maxRss.toFixed(0)} MB`);
  return lines.join("\n");
}
