/**
 * Shared plumbing for the front-end tests (frontends-*.test.ts and
 * browser-*.test.ts): a throwaway Jupyter environment with the reglab
 * kernelspec, copies of the notebooks to run, child processes that are
 * always cleaned up, and the normalisation used to compare two clients'
 * executed notebooks.
 *
 * Conventions:
 * - Everything lives under one `mkdtemp` root: the kernelspec prefix, the
 *   JUPYTER_CONFIG_DIR/DATA_DIR/RUNTIME_DIR (nothing touches ~/.jupyter or
 *   ~/.local/share/jupyter) and TMPDIR (where `reglab run` writes its kernels'
 *   connection files). Cleanup kills every process whose command line names
 *   that root: kernels run in their own session (jupyter_client's
 *   start_new_session, reglab run's detached spawn), so killing the client's
 *   process group alone would orphan them.
 * - Notebook copies run in workspaces under the checkout's git-ignored
 *   .reglab-tmp/ (see `workspace`), removed by cleanup too.
 * - Debian's Jupyter is used explicitly (/usr/bin/jupyter), not whatever
 *   `jupyter` or `python3` comes first on PATH.
 *
 * This file has no tests; node --test loads it as a file of dist/test/ and
 * finds nothing to run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { REPO_ROOT } from "./paths";

export const ROOT = REPO_ROOT;
export const NOTEBOOKS = path.join(ROOT, "notebooks");
export const CLI = path.join(ROOT, "bin", "reglab.js");
export const JUPYTER = "/usr/bin/jupyter";

/** Why a Debian Jupyter sub-command cannot run here, or null when it can. */
export function missingJupyter(...subcommands: string[]): string | null {
  if (!fs.existsSync(JUPYTER)) return `${JUPYTER} is missing (apt-get install jupyter-core jupyter-nbconvert)`;
  if (!fs.existsSync(path.join(ROOT, "dist", "kernel", "cli.js"))) return "the reglab CLI is not built (npm run build)";
  for (const s of subcommands) {
    if (!fs.existsSync(`/usr/bin/jupyter-${s}`)) {
      return `/usr/bin/jupyter-${s} is missing (apt-get install jupyter-${s === "run" || s === "kernel" ? "client" : s})`;
    }
  }
  return null;
}

/** Notebook file names shipped in notebooks/, sorted (outputs of `reglab run` excluded). */
export function shippedNotebooks(): string[] {
  if (!fs.existsSync(NOTEBOOKS)) return [];
  return fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb"))
    .sort();
}

export interface JupyterEnv {
  /** The mkdtemp root holding everything below. */
  root: string;
  /** Environment for Jupyter clients and servers: JUPYTER_PATH at the temp kernelspec, temp config/data/runtime dirs. */
  env: NodeJS.ProcessEnv;
  /**
   * A folder laid out like the repository (symlinks to its top-level entries) with a private
   * copy of `notebooks`; returns the path of that notebooks/ folder.
   */
  workspace(name: string, notebooks: string[]): string;
  /** Kill every process started under this root, then delete it. Idempotent. */
  cleanup(): void;
}

/** A temp Jupyter environment with the reglab kernelspec installed by `reglab install --prefix`. */
export function jupyterEnv(label: string): JupyterEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `reglab-${label}-`));
  const prefix = path.join(root, "prefix");
  const dirs = {
    config: path.join(root, "config"), data: path.join(root, "data"), runtime: path.join(root, "runtime"), tmp: path.join(root, "tmp")
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const install = spawnSync(process.execPath, [CLI, "install", "--prefix", prefix], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`reglab install --prefix failed (exit ${install.status}): ${install.stderr}${install.stdout}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
    JUPYTER_CONFIG_DIR: dirs.config,
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    TMPDIR: dirs.tmp,
    // A user's IPython profile or a pyenv Python must not leak into Debian's Jupyter.
    IPYTHONDIR: path.join(dirs.config, "ipython"),
    PYTHONNOUSERSITE: "1",
  };
  delete env.REGLAB_HEADLESS;
  let cleaned = false;
  const workspaces: string[] = [];
  return {
    root,
    env,
    workspace(name, notebooks) {
      // Inside the checkout (.reglab-tmp/ is git-ignored), so that the notebooks find
      // node_modules by walking up, as in notebooks/. A symlinked node_modules is not the same:
      // TypeScript then sees danfojs-node under two paths and a cell like `const frame =
      // toFrame(...)` fails with "The inferred type of 'frame' cannot be named".
      fs.mkdirSync(path.join(ROOT, ".reglab-tmp"), { recursive: true });
      const ws = fs.mkdtempSync(path.join(ROOT, ".reglab-tmp", `${path.basename(root)}-${name}-`));
      workspaces.push(ws);
      fs.mkdirSync(path.join(ws, "notebooks"));
      // Notebooks may read ../data, ../assets etc.
      for (const entry of fs.readdirSync(ROOT)) {
        if (["notebooks", "node_modules", ".git", ".reglab-tmp", "test-artifacts"].includes(entry)) continue;
        fs.symlinkSync(path.join(ROOT, entry), path.join(ws, entry));
      }
      for (const nb of notebooks) fs.copyFileSync(path.join(NOTEBOOKS, nb), path.join(ws, "notebooks", nb));
      return path.join(ws, "notebooks");
    },
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      for (const marker of [root, ...workspaces]) killUnder(marker);
      for (const dir of [root, ...workspaces]) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGKILL every process (other than this one) whose command line mentions `marker`. */
export function killUnder(marker: string): number {
  let n = 0;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    if (!cmd.includes(marker)) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Started {
  proc: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits (after `kill` too). */
  done: Promise<Finished>;
  /** SIGTERM the process group, SIGKILL it 3 s later if still there. */
  kill(): void;
}

/** Spawn in its own process group; the group is killed at `timeoutMs`. */
export function start(cmd: string, args: string[], opts: {
  cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; input?: string
}): Started {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let timedOut = false;
  proc.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  proc.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  if (opts.input !== undefined) proc.stdin!.end(opts.input);
  else proc.stdin!.end();
  const group = (sig: NodeJS.Signals): void => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // group already gone
    }
  };
  const kill = (): void => {
    group("SIGTERM");
    setTimeout(() => group("SIGKILL"), 3000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs);
  const done = new Promise<Finished>((resolve) => {
    proc.on("error", (e) => {
      err += String(e);
    });
    // "exit", not "close": a kernel the process started in its own session inherits the
    // pipes and may outlive it (jupyter run leaves its kernel running), so they may never close.
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      // Let output already in the pipes arrive.
      setTimeout(() => resolve({ code, signal, stdout: out, stderr: err, timedOut }), 100);
    });
  });
  return { proc, stdout: () => out, stderr: () => err, done, kill };
}

/** Run to completion (see `start`). */
export function run(cmd: string, args: string[], opts: {
  cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; input?: string
}): Promise<Finished> {
  return start(cmd, args, opts).done;
}

export { freePort } from "./ports";

// ---------------------------------------------------------------------------
// Notebook outputs and their comparison

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
export interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
}

export const joined = (s: unknown): string => (Array.isArray(s) ? s.join("") : typeof s === "string" ? s : "");

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** A code cell as a client left it, reduced to what must agree between clients. */
export interface CellSummary {
  /** Index among the notebook's cells (all types). */
  index: number;
  /** First line of the source, to name the cell in messages. */
  head: string;
  /** "ename" of each error output (empty: the cell succeeded). */
  errors: string[];
  /** Normalised outputs, one string each: stream text, or the MIME keys and normalised text/plain. */
  outputs: string[];
  /** Whether the cell showed training progress (a live display or headless progress lines). */
  progress: boolean;
}

/**
 * Training progress (src/charts/progress.ts): "<title> [#####-----] 40% epoch 4/10 | ..."
 * in a live display's text/plain and in headless lines, plus the headless
 * summary "<title>: done, 10 epochs in 3.2 s ...". A live front end shows
 * one updated display, `reglab run` (REGLAB_HEADLESS=1) prints milestone
 * lines: only their presence can agree.
 */
const PROGRESS_LINE = /(\[[#-]+\] \d+% epoch \d+\/\d+)|(^.*: done, \d+ epochs? in )/;

/** %timeit's warning when runs vary, which depends on timing alone. */
const TIMING_ONLY_LINE = /^The slowest run took [\d.]+ times longer than the fastest/;

/**
 * Replace what depends on the clock: durations ("1.2 s", "34 ms", "570 µs",
 * "2 min", "1:05" after ETA/elapsed), and %timeit's loop count, which it picks
 * from a trial run's duration.
 */
export function normaliseTimings(s: string): string {
  return s
    .replace(/(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s?(ns|µs|μs|us|ms|s|sec|secs|seconds?|min|minutes?)(?![\p{L}\d])/gu, "<T>")
    .replace(/\b(ETA|elapsed)\s*:?\s*(\d+:)?\d+:\d\d\b/gi, "$1 <T>")
    .replace(/\b\d+ loops? each\b/g, "<N> loops each");
}

/** Resolve carriage returns the way a terminal (and Jupyter's stream view) shows them. */
function applyCarriageReturns(s: string): string {
  return s
    .split("\n")
    .map((line) => {
      const parts = line.split("\r");
      let shown = "";
      for (const p of parts) shown = p + shown.slice(p.length);
      return shown;
    })
    .join("\n");
}

export function summariseCell(cell: Cell, index: number): CellSummary {
  const summary: CellSummary = { index, head: joined(cell.source).split("\n")[0].slice(0, 70), errors: [], outputs: [], progress: false };
  // Adjacent stream outputs of one name are one stream (clients split them at different places).
  const merged: Output[] = [];
  for (const o of cell.outputs ?? []) {
    const last = merged[merged.length - 1];
    if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) {
      merged[merged.length - 1] = { ...last, text: joined(last.text) + joined(o.text) };
    } else merged.push(o);
  }
  for (const o of merged) {
    if (o.output_type === "stream") {
      const kept: string[] = [];
      for (const line of applyCarriageReturns(joined(o.text)).split("\n")) {
        if (PROGRESS_LINE.test(line)) summary.progress = true;
        else if (!TIMING_ONLY_LINE.test(line)) kept.push(normaliseTimings(line));
      }
      const text = kept.join("\n");
      if (text.trim() !== "") summary.outputs.push(`${o.name}: ${text}`);
    } else if (o.output_type === "error") {
      summary.errors.push(o.ename ?? "?");
      summary.outputs.push(`error: ${o.ename}`);
    } else if (o.output_type === "display_data" || o.output_type === "execute_result") {
      const data = o.data ?? {};
      const plain = joined(data["text/plain"]);
      if (PROGRESS_LINE.test(plain)) {
        summary.progress = true;
        continue;
      }
      summary.outputs.push(`${o.output_type} [${Object.keys(data).sort().join(", ")}] ${normaliseTimings(plain)}`);
    } else {
      summary.outputs.push(o.output_type);
    }
  }
  return summary;
}

export function summarise(nb: Notebook): CellSummary[] {
  return nb.cells.flatMap((c, i) => (c.cell_type === "code" ? [summariseCell(c, i)] : []));
}

/**
 * Differences between two clients' runs of one notebook, as readable lines
 * (empty: they agree). Compared per code cell: success, errors, normalised
 * stream text, output types with their MIME keys and text/plain, presence of
 * training progress.
 */
export function compareRuns(a: Notebook, b: Notebook, names: [string, string]): string[] {
  const sa = summarise(a);
  const sb = summarise(b);
  const diffs: string[] = [];
  if (sa.length !== sb.length) return [`${names[0]} has ${sa.length} code cells, ${names[1]} ${sb.length}`];
  for (let i = 0; i < sa.length; i++) {
    const x = sa[i];
    const y = sb[i];
    const where = `cell ${x.index} (${x.head})`;
    if (x.errors.join() !== y.errors.join()) {
      diffs.push(`${where}: errors ${names[0]} [${x.errors.join(", ")}] vs ${names[1]} [${y.errors.join(", ")}]`);
    }
    if (x.progress !== y.progress) diffs.push(`${where}: training progress shown by ${x.progress ? names[0] : names[1]} only`);
    const n = Math.max(x.outputs.length, y.outputs.length);
    for (let k = 0; k < n; k++) {
      if (x.outputs[k] !== y.outputs[k]) {
        diffs.push(`${where}, output ${k}:\n  ${names[0]}: ${x.outputs[k] ?? "(none)"}\n  ${names[1]}: ${y.outputs[k] ?? "(none)"}`);
        break; // later outputs of the cell are usually shifted copies of this difference
      }
    }
  }
  return diffs;
}

/** The artifacts folder (git-ignored) for screenshots and exports. */
export function artifactsDir(...sub: string[]): string {
  const dir = path.join(ROOT, "test-artifacts", ...sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A small nbformat 4.4 notebook of code cells with the reglab kernelspec. */
export function makeNotebook(cells: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: {
      kernelspec: { name: "reglab", display_name: "TypeScript (reglab)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
  } as Notebook;
}

/**
 * Two charts: a Chart as a cell's last value (it renders itself), and the %%vegalite magic.
 */
export const SMALL_CHART_CELLS = [
  'import { chart } from "reglab";\nconst xs = Array.from({ length: 20 }, (_, i) => i);\nchart({ title: "x squared", mark: "line", data: ' +
    '{ values: xs.map((x) => ({ x, y: x * x })) }, encoding: { x: { field: "x", ' +
      'type: "quantitative" }, y: { field: "y", type: "quantitative" } } });',
  '%%vegalite\n{"title": "bars", "mark": "bar", "data": {"values": [{"k": "a", "v": 3}, {"k": "b", "v": 5}, {"k": "c", ' +
    '"v": 2}]}, "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}}}',
];

/**
 * Chart outputs as a front end without a vega renderer shows them: data with
 * image/png and nothing it would rank higher (text/html, SVG). Their PNG
 * base64, whitespace removed.
 */
export function chartPngs(nb: Notebook): string[] {
  return nb.cells
    .flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data !== undefined && "image/png" in o.data && !("text/html" in o.data) && !("image/svg+xml" in o.data))
    .map((o) => joined(o.data!["image/png"]).replace(/\s/g, ""));
}
