/**
 * `npm run bench [-- --quick] [-- --only=training,conv,kernel,charts,notebooks]`
 * Opt-in sections (heavy, run only when named): `--only=classroom [--users N[,M…]]`
 * (a class on a local JupyterHub, default 5,10,20 users) and
 * `--only=memory [--notebooks=a.ipynb,…]` (kernel RSS by stage and per notebook).
 * `--conv-cpu` adds the conv section's cpu-backend row (about 17 min an epoch).
 *
 * Every contender runs in the same process run, interleaved, so figures are
 * read as ratios; absolute times are context only. Writes
 * bench/results.json and bench/results.png (made with reglab's own charts).
 */
import fs from "fs";
import os from "os";
import path from "path";
import { spawnSync } from "child_process";
import { benchTraining, bestTorch, comparatorLines } from "./training";
import { benchConv } from "./conv";
import { benchCharts } from "./charts";
import { benchKernels, benchMagicsOverhead } from "./kernel";
import { benchClassroom, saturation } from "./classroom";
import { benchKernelMemory } from "./kernel-memory";
import { chart, save } from "../src/charts";
import { writeFileAtomic } from "../kernel/runner/notebook";

const root = path.resolve(__dirname, "..", "..");
const SECTIONS = ["training", "conv", "kernel", "charts", "notebooks", "classroom", "memory"] as const;
type Section = (typeof SECTIONS)[number];
/** What a plain `npm run bench` runs; the others only when named with --only. */
const DEFAULT_SECTIONS: readonly Section[] = ["training", "conv", "kernel", "charts", "notebooks"];

interface Row {
  section: Section;
  name: string;
  value: number;
  unit: string;
  /** e.g. "1.8× PyTorch", "target ≤ 100 ms: met". */
  note: string;
}

interface BenchArgs {
  quick: boolean;
  only: Set<Section>;
  /** The conv section's cpu-backend row (hours on 2 cores). */
  convCpu: boolean;
  users?: number[];
  notebooks?: string[];
}

function parseArgs(argv: string[]): BenchArgs {
  let quick = false;
  let convCpu = false;
  let only = new Set<Section>(DEFAULT_SECTIONS);
  let users: number[] | undefined;
  let notebooks: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--conv-cpu") convCpu = true;
    else if (a === "--users" || a.startsWith("--users=")) {
      const v = a === "--users" ? argv[++i] : a.slice("--users=".length);
      users = (v ?? "").split(",").map(Number);
      if (users.length === 0 || users.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new Error(`--users needs positive integers (e.g. --users 10 or --users 5,10,20), got "${v}"`);
      }
    } else if (a.startsWith("--notebooks=")) notebooks = a.slice("--notebooks=".length).split(",");
    else if (a.startsWith("--only=")) {
      const names = a.slice("--only=".length).split(",");
      for (const n of names) {
        if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`unknown section "${n}"; sections: ${SECTIONS.join(", ")}`);
      }
      only = new Set(names as Section[]);
    } else if (a === "--help" || a === "-h") {
      console.log(
        `Usage: npm run bench -- [--quick] [--only=${SECTIONS.join(",")}]\n` +
          "                        [--users N[,M]] [--notebooks=a.ipynb,...] [--conv-cpu]",
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return { quick, only, users, notebooks, convCpu };
}

async function trainingSection(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  // PyTorch runs as a worker interleaved epoch by epoch with the tfjs contenders (bench/training.ts).
  const res = await benchTraining({ quick, log: (s) => console.log(`  ${s}`) });
  for (const l of comparatorLines(res)) console.log(`  ${l}`);
  const pt = res.pytorch;
  // No ratio to a PyTorch on the reference BLAS: it would flatter reglab ~10×.
  const healthy = !("skipped" in pt) && !pt.unhealthy;
  for (const r of res.rows) {
    const torch = bestTorch(res.rows, r.backend, r.batch);
    const fit = res.rows.find((o) => o.backend === r.backend && o.batch === r.batch && o.contender === "fit");
    const notes: string[] = [];
    const peak = res.peaks[r.backend];
    if (r.contender === "pytorch") {
      const best = r === torch ? "PyTorch's best: reference" : "not its best";
      const tp = "skipped" in pt ? NaN : pt.matmul[r.threads ?? 1];
      const share = ((100 * r.gflops) / tp).toFixed(0);
      notes.push(`${best}; ${r.gflops.toFixed(1)} GFLOP/s = ${share}% of its matmul peak, run alongside ${r.backend}`);
    } else {
      const target = r.contender === "train" ? " (target ≤ 1.5)" : "";
      if (torch && healthy) notes.push(`${(r.msPerEpoch / torch.msPerEpoch).toFixed(2)}× PyTorch${target}`);
      else if (torch && !("skipped" in pt)) notes.push(`no ratio: ${pt.unhealthy}`);
      if (r.contender === "train" && fit) notes.push(`${(r.msPerEpoch / fit.msPerEpoch).toFixed(2)}× model.fit (target ≤ 1.0)`);
      const share = ((100 * r.gflops) / (peak?.gflops ?? NaN)).toFixed(0);
      if (peak) notes.push(`${r.gflops.toFixed(1)} GFLOP/s = ${share}% of ${r.backend}'s matmul peak`);
    }
    const name = r.contender === "pytorch" ? `${r.name} [with ${r.backend}]` : `${r.name} [${r.backend}]`;
    rows.push({ section: "training", name, value: r.msPerEpoch, unit: "ms/epoch", note: notes.join("; ") });
  }
  for (const [b, p] of Object.entries(res.peaks)) {
    rows.push({ section: "training", name: `tfjs ${b}: ${p.shape} matmul (best)`, value: p.gflops, unit: "GFLOP/s", note: p.library });
  }
  if (!("skipped" in pt)) {
    for (const t of pt.threads) {
      const name = `PyTorch ${t} thr: 1024² matmul (best)`;
      rows.push({ section: "training", name, value: pt.matmul[t], unit: "GFLOP/s", note: pt.blas.name });
    }
  }
  return rows;
}

async function convSection(quick: boolean, cpu: boolean): Promise<Row[]> {
  // The chapter CNN on MNIST, interleaved with PyTorch (bench/conv.ts); each row says what it runs on.
  if (!cpu) console.log("  the cpu backend's row is left out (about 17 min an epoch on 2 cores); --conv-cpu adds it");
  const res = await benchConv({ quick, cpu, log: (s) => console.log(`  ${s}`) });
  if ("skipped" in res.pytorch) console.log(`  PyTorch skipped: ${res.pytorch.skipped}; ratios to PyTorch not computed`);
  const pt = res.rows.find((r) => r.name === "PyTorch CPU");
  return res.rows.map((r) => ({
    section: "conv" as const,
    name: `chapter CNN, batch ${res.batch} [${r.name}]`,
    value: r.msPerEpoch,
    unit: "ms/epoch",
    note: [pt && r !== pt ? `${(r.msPerEpoch / pt.msPerEpoch).toFixed(2)}× PyTorch (target ≤ 3)` : "reference", r.runsOn].join("; "),
  }));
}

async function kernelSection(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const ks = await benchKernels({ quick });
  const tslab = ks.find((k) => k.kernel === "tslab");
  for (const k of ks) {
    const vs =
      tslab && k !== tslab ? `${(k.startMs / tslab.startMs).toFixed(2)}× tslab${k.kernel === "reglab" ? " (target ≤ 1.0)" : ""}` : "";
    rows.push({ section: "kernel", name: `${k.kernel}: start`, value: k.startMs, unit: "ms", note: vs });
    const p90 = (ms: number) => (Number.isNaN(ms) ? `not measured: ${k.failure ?? "no samples"}` : `p90 ${ms.toFixed(1)} ms`);
    rows.push({ section: "kernel", name: `${k.kernel}: trivial cell p50 / p90`, value: k.cellP50Ms, unit: "ms", note: p90(k.cellP90Ms) });
    rows.push({
      section: "kernel",
      name: `${k.kernel}: after ${quick ? 50 : 200} cells p50 / p90`,
      value: k.laterP50Ms,
      unit: "ms",
      note: p90(k.laterP90Ms),
    });
  }
  const m = await benchMagicsOverhead({ quick });
  rows.push({ section: "kernel", name: "magics layer, plain cell", value: m.plainUs, unit: "µs", note: "target ≤ 1000 µs" });
  rows.push({
    section: "kernel",
    name: "magics layer, cell with % in code",
    value: m.percentInCodeUs,
    unit: "µs",
    note: "target ≤ 1000 µs",
  });
  return rows;
}

async function chartsSection(quick: boolean): Promise<Row[]> {
  return (await benchCharts({ quick })).map((r) => ({
    section: "charts" as const,
    name: r.name,
    value: r.ms,
    unit: "ms",
    note: r.target ? `target ≤ ${r.target} ms: ${r.ms <= r.target ? "met" : "MISSED"}` : "",
  }));
}

/** Every .ipynb under notebooks/ (subfolders too, checkpoints skipped), by path. */
function notebookPaths(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      if (e.isDirectory()) return e.name.startsWith(".") ? [] : notebookPaths(path.join(dir, e.name));
      return e.name.endsWith(".ipynb") ? [path.join(dir, e.name)] : [];
    })
    .sort();
}

const NOTEBOOK_TARGET_S = 90;
const ALL_NOTEBOOKS_TARGET_S = 15 * 60;
/** A notebook still running after this is stopped and reported as such (the set's total then counts this much). */
const NOTEBOOK_TIMEOUT_S = 600;

function notebooksSection(): Row[] {
  const dir = path.join(root, "notebooks");
  const nbs = notebookPaths(dir);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-bench-nb-"));
  const rows: Row[] = [];
  let total = 0;
  let failed = 0;
  for (const nb of nbs) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(root, "bin", "reglab.js"), "run", nb, "--out", outDir, "--quiet"], {
      encoding: "utf8",
      timeout: NOTEBOOK_TIMEOUT_S * 1000,
      killSignal: "SIGKILL",
    });
    const s = (performance.now() - t0) / 1000;
    total += s;
    const met = `target ≤ ${NOTEBOOK_TARGET_S} s: ${s <= NOTEBOOK_TARGET_S ? "met" : "MISSED"}`;
    const status = r.status === 0 ? met : r.error ? `STOPPED after ${NOTEBOOK_TIMEOUT_S} s` : `FAILED (exit ${r.status})`;
    if (r.status !== 0) failed++;
    rows.push({ section: "notebooks", name: path.relative(dir, nb), value: s, unit: "s", note: status });
    console.log(`  ${path.relative(dir, nb)}: ${s.toFixed(1)} s ${status}`);
  }
  const verdict = `target ≤ ${ALL_NOTEBOOKS_TARGET_S / 60} min: ${total <= ALL_NOTEBOOKS_TARGET_S && failed === 0 ? "met" : "MISSED"}`;
  const count = `${nbs.length} notebooks${failed ? `, ${failed} failed` : ""}`;
  rows.push({ section: "notebooks", name: "all notebooks", value: total, unit: "s", note: `${count}; ${verdict}` });
  fs.rmSync(outDir, { recursive: true, force: true });
  return rows;
}

async function classroomSection(users: number[] | undefined): Promise<Row[]> {
  const res = await benchClassroom({ sizes: users, log: (s) => console.log(`  ${s}`) });
  const row = (name: string, value: number, unit: string, note: string): Row => ({ section: "classroom", name, value, unit, note });
  const aloneNote = `00-welcome + a chart, kernel start included; CPU ${res.singleCpuS.toFixed(1)} s`;
  const rows = [row("one user alone: notebook", res.single, "s", aloneNote)];
  for (const r of res.rows) {
    const p = `${r.users} users`;
    const cores = os.cpus().length;
    rows.push(
      row(`${p}: median / p90 per notebook`, r.medianS, "s", `p90 ${r.p90S.toFixed(1)} s; failures ${r.failures}`),
      row(`${p}: whole class`, r.classS, "s", `${r.vsSerial.toFixed(2)}× ${r.users} × one alone; saturates: ${saturation(r)}`),
      row(
        `${p}: CPU per user (kernel + server)`,
        r.kernelCpuS + r.serverCpuS,
        "s",
        `kernel ${r.kernelCpuS.toFixed(1)} s + server ${r.serverCpuS.toFixed(1)} s;` +
        ` ${r.users} users on ${cores} cores need ≥ ${r.cpuBoundS.toFixed(1)} s`,
      ),
      row(
        `${p}: kernel RSS after the notebook`,
        r.kernelMB,
        "MB",
        `${r.kernelsPerGiB.toFixed(1)} kernels/GiB; + ${r.serverMB.toFixed(0)} MB per user server`,
      ),
    );
  }
  return rows;
}

async function memorySection(notebooks: string[] | undefined): Promise<Row[]> {
  const rows = await benchKernelMemory({ notebooks, log: (s) => console.log(`  ${s}`) });
  return rows.map((r) => ({
    section: "memory" as const,
    name: r.stage,
    value: r.rssMB,
    unit: "MB RSS",
    note: `peak ${r.peakMB.toFixed(0)} MB; ${r.seconds.toFixed(2)} s`,
  }));
}

function printTable(rows: Row[]): void {
  let section = "";
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      console.log(`\n## ${section}`);
    }
    const v = r.value < 10 ? r.value.toFixed(2) : r.value.toFixed(1);
    console.log(`  ${r.name.padEnd(44)} ${v.padStart(9)} ${r.unit.padEnd(8)} ${r.note}`);
  }
}

function ratioChart(rows: Row[]) {
  const training = rows.filter((r) => r.section === "training" && /^[\d.]+× PyTorch/.test(r.note));
  // Short labels ("wasm · train, b64") so the backend is not cut off; log scale because cpu is ~10x wasm.
  const label = (name: string) => {
    const m = /^(.*), batch (\d+) \[(.*)\]$/.exec(name);
    return m ? `${m[3]} · ${m[1].replace("tfjs model.fit", "tfjs fit").replace("reglab train", "reglab train")}, b${m[2]}` : name;
  };
  const values = training.map((r) => ({ contender: label(r.name), ratio: Number(/([\d.]+)× PyTorch/.exec(r.note)![1]) }));
  return chart({
    title: "Training time per epoch relative to PyTorch CPU (lower is better; log scale)",
    data: { values },
    layer: [
      // Dots, not bars: a bar has no zero to start from on a log scale.
      {
        mark: { type: "point", filled: true, size: 140 },
        encoding: {
          y: { field: "contender", type: "nominal", sort: null, title: null, axis: { labelLimit: 400 } },
          x: { field: "ratio", type: "quantitative", title: "× PyTorch", scale: { type: "log" } },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 9 },
        encoding: {
          y: { field: "contender", type: "nominal", sort: null },
          x: { field: "ratio", type: "quantitative" },
          text: { field: "ratio", type: "quantitative", format: ".2f" },
        },
      },
      { mark: { type: "rule", strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } },
    ],
  });
}

export async function main(argv: string[]): Promise<void> {
  const { quick, only, users, notebooks, convCpu } = parseArgs(argv);
  const started = new Date().toISOString();
  const rows: Row[] = [];
  const run = async (s: Section, f: () => Promise<Row[]> | Row[]) => {
    if (!only.has(s)) return;
    console.log(`bench: ${s}${quick ? " (quick)" : ""} …`);
    const t0 = performance.now();
    try {
      rows.push(...(await f()));
      console.log(`bench: ${s} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      // One failing section (e.g. a kernel timing out on a loaded machine) must not lose the others' figures.
      const msg = e instanceof Error ? e.message : String(e);
      console.log(`bench: ${s} FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${msg}`);
      rows.push({ section: s, name: `${s} section`, value: NaN, unit: "", note: `FAILED: ${msg}` });
      process.exitCode = 1;
    }
  };
  await run("training", () => trainingSection(quick));
  await run("conv", () => convSection(quick, convCpu));
  await run("kernel", () => kernelSection(quick));
  await run("charts", () => chartsSection(quick));
  await run("notebooks", () => notebooksSection());
  await run("classroom", () => classroomSection(users));
  await run("memory", () => memorySection(notebooks));
  printTable(rows);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  const outJson = path.join(root, "bench", "results.json");
  writeFileAtomic(outJson, JSON.stringify({ started, quick, machine, rows }, null, 1) + "\n");
  console.log(`\nwrote ${path.relative(root, outJson)}`);
  if (rows.some((r) => r.section === "training" && /^[\d.]+× PyTorch/.test(r.note))) {
    const png = path.join(root, "bench", "results.png");
    save(ratioChart(rows), png);
    console.log(`wrote ${path.relative(root, png)}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
