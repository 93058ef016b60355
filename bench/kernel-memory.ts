/**
 * What one reglab kernel costs in memory, stage by stage: resident set size
 * (RSS, /proc/<pid>/status) once the kernel answers kernel_info, after its
 * first trivial cell (the tfjs backend is chosen then), after
 * `import … from "reglab"`, and after each chapter notebook (a fresh kernel
 * per notebook, all its code cells run in order). Plain tslab's RSS at start
 * is the reference. `npm run bench -- --only=memory [--notebooks=a,b]`.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { KernelClient, type KernelLaunch } from "../kernel/protocol/client";
import { kernelArgv } from "../kernel/kernelspec";

const root = path.resolve(__dirname, "..", "..");
const notebooksDir = path.join(root, "notebooks");

export interface MemoryRow {
  stage: string;
  rssMB: number;
  peakMB: number;
  /** Seconds the stage took. */
  seconds: number;
}

function memory(pid: number | undefined): { rss: number; peak: number } {
  if (!pid) throw new Error("kernel has no pid");
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const FIRST_CHART =
  'import { chart } from "reglab";\n' +
  'chart({ data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: "line", ' +
  'encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } })';

/** Kernels run in a scratch copy of notebooks/: what notebooks write stays out of the checkout. */
const reglabLaunch = (cwd: string): KernelLaunch => ({ argv: kernelArgv(), cwd, env: { ...process.env, REGLAB_HEADLESS: "1" } });

async function staged(launch: KernelLaunch, stages: Array<[string, string[]]>, rows: MemoryRow[], prefix: string): Promise<void> {
  let t0 = performance.now();
  const kc = await KernelClient.start(launch, { startupTimeoutMs: 60_000 });
  try {
    const mark = (stage: string) => {
      const m = memory(kc.pid);
      rows.push({ stage: `${prefix}${stage}`, rssMB: m.rss, peakMB: m.peak, seconds: (performance.now() - t0) / 1000 });
      t0 = performance.now();
    };
    mark("started (kernel_info answered)");
    for (const [stage, cells] of stages) {
      for (const code of cells) {
        const r = await kc.execute(code, { timeoutMs: 600_000 });
        if (r.status !== "ok") throw new Error(`${prefix}${stage}: a cell failed (${r.status}): ${code.slice(0, 120)}`);
      }
      mark(stage);
    }
  } finally {
    await kc.shutdown().catch(() => kc.kill());
  }
}

function codeCells(file: string): string[] {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: Array<{ cell_type: string; source: string | string[] }> };
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .filter((s) => s.trim() !== "");
}

/** The chapter notebooks (every notebook, or those named). */
export function chapterNotebooks(only?: string[]): string[] {
  const all = fs
    .readdirSync(notebooksDir)
    .filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb"))
    .sort();
  if (!only) return all;
  for (const n of only) if (!all.includes(n)) throw new Error(`no notebook ${n} in notebooks/ (have: ${all.join(", ")})`);
  return only;
}

export async function benchKernelMemory(opts: { notebooks?: string[]; log?: (s: string) => void } = {}): Promise<MemoryRow[]> {
  const log = opts.log ?? (() => undefined);
  const rows: MemoryRow[] = [];
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-bench-mem-"));
  try {
    await profile(cwd, rows, opts.notebooks, log);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  return rows;
}

async function profile(cwd: string, rows: MemoryRow[], notebooks: string[] | undefined, log: (s: string) => void): Promise<void> {
  for (const nb of chapterNotebooks(notebooks)) fs.copyFileSync(path.join(notebooksDir, nb), path.join(cwd, nb));
  const tslabBin = path.join(root, "node_modules", "tslab", "bin", "tslab");
  const tslab = { argv: [process.execPath, tslabBin, "kernel", "--config-path", "{connection_file}"], cwd };
  await staged(tslab, [["first cell", ["1 + 1"]]], rows, "tslab: ");
  await staged(
    reglabLaunch(cwd),
    [
      ["first cell (backend chosen)", ["1 + 1"]],
      ['import { seed } from "reglab"', ['import { seed } from "reglab";\nseed(1)']],
      ["first chart", [FIRST_CHART]],
    ],
    rows,
    "reglab: ",
  );
  for (const nb of chapterNotebooks(notebooks)) {
    try {
      await staged(reglabLaunch(cwd), [[`after ${nb}`, codeCells(path.join(notebooksDir, nb))]], rows, "reglab: ");
      log(`${nb}: ${rows[rows.length - 1].rssMB.toFixed(0)} MB`);
    } catch (e) {
      // A notebook whose kernel dies is a figure too; the other notebooks still get theirs.
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      rows.push({ stage: `reglab: after ${nb}: FAILED (${msg})`, rssMB: NaN, peakMB: NaN, seconds: NaN });
      log(`${nb}: FAILED: ${msg}`);
    }
  }
}
