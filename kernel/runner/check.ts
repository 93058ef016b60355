/**
 * `reglab check`: do the committed outputs of notebooks still follow from
 * their code? Each notebook runs in a fresh kernel (as `reglab run`, with
 * errors allowed so every cell is compared) and every code cell's outputs
 * are compared with the committed ones after sanitizing (compare.ts,
 * sanitize.ts). A cell tagged `reglab-check-skip` runs but is not compared.
 *
 * Seeds mode (`--seeds 1,2,3`): each notebook runs once per seed variant
 * (REGLAB_SEED_VARIANT, see src/random/seed.ts); outputs are not compared
 * (numbers move with the seed), only cells that raise count — the check
 * cells of a notebook throw when its claims stop holding. A cell whose
 * committed outputs hold an error is expected to fail and is not counted.
 *
 * Exit status: 0 all match (seeds: no failing cell under any seed), 1 drift
 * or failure (or a kernel that died or did not start), 2 usage error,
 * invalid notebook or invalid sanitizer, 130 interrupted.
 */
import { runnerArgs, type RunOptions } from "./args";
import { compareCell } from "./compare";
import { NotebookReport, Printer, StopState, executeNotebook, firstLine, fmtSeconds } from "./execute";
import { Notebook, NotebookCell, NotebookError, readNotebook, writeNotebook } from "./notebook";
import { SanitizeError, Sanitizer, sanitizersFor } from "./sanitize";

export const CHECK_USAGE = `Usage: reglab check <notebook.ipynb | directory>... [options]

Run each notebook in a fresh reglab kernel and compare every code cell's
outputs with the committed ones; report a short unified diff for each cell
that differs. Exit status 1 on any difference, 0 when all match.

Compared: stream text, errors, and each MIME type of rich outputs. Vega and
vega-lite charts by their spec and data (the PNG next to a spec is drawn from
it); other PNGs by decoded pixels within a tolerance. Execution counts are not
compared. Before comparing, sanitizers mask what varies from run to run:
timings ("12.3 ms", ETA), %time and %timeit lines, absolute paths, ISO dates.
A notebook adds its own in its metadata (regex → replacement, flags "gmu"):
  "reglab": {"check": {"sanitize": {"loss \\\\d+\\\\.\\\\d+": "loss <x>"}}}
A cell tagged reglab-check-skip is run but not compared.

Options:
  --update            rewrite the committed outputs (and execution counts) of
                      the cells that differ, atomically; others are left
                      byte for byte; exit 0 once written
  --seeds A,B,...     seeds mode: run each notebook once per seed variant
                      (as \`reglab run --seed A\`: every seed(n) / %seed n
                      becomes another stream, data sets' own seeds stay) and
                      report which cells fail under which seed; outputs are
                      not compared, only errors count
  --timeout S         per-cell timeout in seconds (default 600; 0 = none)
  --kernel-argv JSON  launch another kernel (see reglab run --help)
  --startup-timeout S seconds to wait for a kernel to start (default 60)
  --max-stream-lines N
                      stored lines per stream, as reglab run (default 2000)
  --quiet             only differences, failures and the summary
  -h, --help          this help

Exit status: 0 all match (with --seeds: no cell fails under any seed; with
--update: written), 1 a difference or failure, 2 usage error, invalid
notebook or sanitizer, 130 interrupted.`;

const SKIP_TAG = "reglab-check-skip";

interface Loaded {
  file: string;
  nb: Notebook;
  rules: Sanitizer[];
}

function tags(c: NotebookCell): string[] {
  const t = c.metadata.tags;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
}

const counted = (c: NotebookCell): boolean => c.cell_type === "code" && c.source.trim() !== "";

function cellName(c: NotebookCell, i: number): string {
  return `cell ${i + 1}${typeof c.id === "string" ? ` (id ${c.id})` : ""} \`${firstLine(c.source)}\``;
}

function stoppedEarly(r: NotebookReport): boolean {
  // With errors allowed, a notebook stops early only when its kernel is gone or a signal came.
  return r.startFailed === true || r.stopped !== undefined;
}

async function compareNotebook(l: Loaded, o: RunOptions, stop: StopState, p: Printer): Promise<boolean> {
  const fresh = structuredClone(l.nb);
  const r = await executeNotebook(l.file, fresh, { ...o, allowErrors: true }, stop, p);
  if (r.startFailed) return false;
  let compared = 0;
  let skipped = 0;
  const drifted: number[] = [];
  l.nb.cells.forEach((c, i) => {
    if (!counted(c)) return;
    if (tags(c).includes(SKIP_TAG)) return void skipped++;
    compared++;
    const diff = compareCell(c.outputs ?? [], fresh.cells[i].outputs ?? [], l.rules);
    if (diff.length === 0) return;
    drifted.push(i);
    p.line(p.red(`${l.file}: ${cellName(c, i)} differs from its committed outputs:`));
    p.line(diff.map((d) => `    ${d}`).join("\n"));
  });
  const skip = skipped ? `, ${skipped} skipped (${SKIP_TAG})` : "";
  const time = `${fmtSeconds(r.seconds)} s`;
  const early = stoppedEarly(r) ? `; stopped early: ${r.stopped}` : "";
  if (drifted.length === 0 && !early) {
    p.line(`${l.file}: ok — ${compared} cell${compared === 1 ? "" : "s"} match${skip}, ${time}`);
    return true;
  }
  if (o.update && !early) {
    for (const i of drifted) {
      l.nb.cells[i].outputs = fresh.cells[i].outputs;
      l.nb.cells[i].execution_count = fresh.cells[i].execution_count;
    }
    writeNotebook(l.file, l.nb);
    p.line(
      `${l.file}: updated — ${drifted.length} of ${compared} cells rewritten (${drifted.map((i) => i + 1).join(", ")})${skip}, ${time}`,
    );
    return true;
  }
  const what = drifted.length ? `${drifted.length} of ${compared} cells differ (${drifted.map((i) => `cell ${i + 1}`).join(", ")})` : "";
  p.line(p.red(`${l.file}: DRIFT — ${[what, early.slice(2)].filter(Boolean).join("; ")}${skip}, ${time}`));
  if (o.update) p.line(`${l.file}: not updated (the run stopped early)`);
  return false;
}

/** Seeds mode for one notebook and seed: the cells that fail (and were not failing when committed). */
async function seedRun(l: Loaded, s: number, o: RunOptions, stop: StopState, p: Printer): Promise<string[]> {
  const fresh = structuredClone(l.nb);
  const env = { ...o.env, REGLAB_SEED_VARIANT: String(s) };
  const r = await executeNotebook(l.file, fresh, { ...o, allowErrors: true, env }, stop, p);
  if (r.startFailed) return ["the kernel did not start"];
  const fails: string[] = [];
  l.nb.cells.forEach((c, i) => {
    if (!counted(c)) return;
    const isErr = (x: { output_type: string }) => x.output_type === "error";
    if ((c.outputs ?? []).some(isErr)) return; // failing when committed: expected to fail
    const err = (fresh.cells[i].outputs ?? []).find(isErr);
    if (err && err.output_type === "error") fails.push(`${cellName(c, i)}: ${err.ename}: ${err.evalue.split("\n")[0].slice(0, 200)}`);
  });
  if (r.stopped && !r.startFailed) fails.push(`stopped early: ${r.stopped}`);
  return fails;
}

async function seedsMode(loaded: Loaded[], seeds: number[], o: RunOptions, stop: StopState, p: Printer): Promise<boolean> {
  const table: Array<{ file: string; seed: number; fails: string[] }> = [];
  for (const s of seeds) {
    for (const l of loaded) {
      if (stop.stopped) return false;
      p.info(`seed ${s}: ${l.file}`);
      const fails = await seedRun(l, s, o, stop, p);
      table.push({ file: l.file, seed: s, fails });
      p.line(fails.length ? p.red(`seed ${s}: ${l.file}: ${fails.length} failing: ${fails.join("; ")}`) : `seed ${s}: ${l.file}: ok`);
    }
  }
  p.line(`\nseed robustness (REGLAB_SEED_VARIANT ${seeds.join(", ")}):`);
  for (const l of loaded) {
    const rows = table.filter((t) => t.file === l.file);
    const bad = rows.filter((t) => t.fails.length);
    const failing = `fails under seed${bad.length === 1 ? "" : "s"} ${bad.map((t) => t.seed).join(", ")}`;
    p.line(`  ${l.file}: ${bad.length === 0 ? "ok under every seed" : p.red(failing)}`);
    for (const t of bad) for (const f of t.fails) p.line(`    seed ${t.seed}: ${f}`);
  }
  return table.every((t) => t.fails.length === 0);
}

/** `reglab check ...`; returns the exit status. */
export async function checkCommand(argv: string[]): Promise<number> {
  const args = runnerArgs(argv, "check", CHECK_USAGE);
  if (typeof args === "number") return args;
  const { o, files } = args;
  const p = new Printer(o.quiet);
  const loaded: Loaded[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      const { notebook, warnings } = readNotebook(file);
      for (const w of warnings) p.problem(`warning: ${w}`);
      loaded.push({ file, nb: notebook, rules: sanitizersFor(notebook.metadata, file) });
    } catch (e) {
      if (e instanceof NotebookError || e instanceof SanitizeError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) {
    for (const m of problems) p.problem(p.red(`reglab check: ${m}`));
    p.problem("reglab check: nothing was run");
    return 2;
  }
  const stop = new StopState();
  const onSignal = () => stop.hit();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const t0 = Date.now();
  let ok = true;
  try {
    if (o.seeds) ok = await seedsMode(loaded, o.seeds, o, stop, p);
    else {
      for (const l of loaded) {
        if (stop.stopped) break;
        if (!(await compareNotebook(l, o, stop, p))) ok = false;
      }
      if (loaded.length > 1)
        p.line(
          `check: ${ok ? "all notebooks match" : p.red("drift")} (${loaded.length} notebooks, ${fmtSeconds((Date.now() - t0) / 1000)} s)`,
        );
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  if (stop.stopped) return 130;
  return ok ? 0 : 1;
}
