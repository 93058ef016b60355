/**
 * `%%sweep name=v1,v2,... [name2=...] [--seeds a..b]`: run the cell body
 * once per combination of values (cartesian product, first name outermost,
 * seeds innermost), with each name bound to its value and, with --seeds,
 * `seed(s)` called before each run.
 *
 * Scope: the body is compiled once as an async function of the swept names
 * (its last expression statement returned) and called per combination
 * (from a one-line cell, so interrupts work as in any cell), so
 * neither the swept names nor the body's own declarations are left in the
 * notebook; only `_sweep` is. A body with line magics cannot be a function:
 * it then runs as cell code per combination after `const name = value;`
 * lines, and those names (and the body's) do stay bound.
 *
 * Each run's last value must be a number (column `value`), an object of
 * numbers (one column per key), or a scalar tensor. The results become a
 * danfo DataFrame — one column per swept name, `seed` (with --seeds), then
 * the value columns — shown as a table and bound to `_sweep`.
 * One progress line is printed per run.
 */
import { MagicError } from "./errors";
import { UsageError, splitArgs } from "../options";
import type { Magic, MagicContext } from "./registry";
import { toMimeBundle } from "../../src/display/rich";
import "../../src/frames"; // registers the table renderer the sweep frame is shown with
import { toFunctionBody } from "./tsfork";
import { mayHaveMagic, splitSegments } from "./parse";

const USAGE = "%%sweep name=v1,v2,... [name2=...] [--seeds a..b]\n<cell body whose last value is a number or an object of numbers>";
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface SweepPlan {
  names: string[];
  values: unknown[][];
  seeds: number[] | null;
}

function parseValue(s: string): unknown {
  if (s !== "" && !Number.isNaN(Number(s))) return Number(s);
  if (s === "true" || s === "false" || s === "null") return JSON.parse(s);
  if (/^".*"$/.test(s) || /^'.*'$/.test(s)) return s.slice(1, -1);
  return s;
}

export function parseSweepArgs(args: string): SweepPlan {
  const words = splitArgs(args);
  const names: string[] = [];
  const values: unknown[][] = [];
  let seeds: number[] | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--seeds") {
      const r = words[++i];
      const m = r === undefined ? null : /^(-?\d+)\.\.(-?\d+)$/.exec(r);
      if (!m || Number(m[2]) < Number(m[1]))
        throw new UsageError(`--seeds needs a range a..b with a <= b, got "${r ?? ""}".\nUsage: ${USAGE}`);
      seeds = [];
      for (let s = Number(m[1]); s <= Number(m[2]); s++) seeds.push(s);
      continue;
    }
    const eq = w.indexOf("=");
    const name = eq > 0 ? w.slice(0, eq) : "";
    if (!IDENT.test(name)) throw new UsageError(`expected name=v1,v2,..., got "${w}".\nUsage: ${USAGE}`);
    if (name === "seed") throw new UsageError(`"seed" is reserved (use --seeds a..b).\nUsage: ${USAGE}`);
    if (names.includes(name)) throw new UsageError(`${name} is swept twice.\nUsage: ${USAGE}`);
    const list = w
      .slice(eq + 1)
      .split(",")
      .filter((v) => v !== "");
    if (!list.length) throw new UsageError(`${name} has no values.\nUsage: ${USAGE}`);
    names.push(name);
    values.push(list.map(parseValue));
  }
  if (!names.length && !seeds) throw new UsageError(`nothing to sweep.\nUsage: ${USAGE}`);
  return { names, values, seeds };
}

/** All combinations, first name outermost. */
export function cartesian(values: unknown[][]): unknown[][] {
  return values.reduce<unknown[][]>((acc, vs) => acc.flatMap((prefix) => vs.map((v) => [...prefix, v])), [[]]);
}

/** A run's last value as named numbers. */
function resultColumns(v: unknown): Record<string, number> {
  if (typeof v === "number") return { value: v };
  if (v && typeof v === "object") {
    const t = v as { shape?: unknown; dataSync?: () => ArrayLike<number>; size?: number };
    if (Array.isArray(t.shape) && typeof t.dataSync === "function") {
      if (t.size !== 1)
        throw new MagicError("TypeError", `sweep: a tensor result must be a scalar, got shape [${(t.shape as number[]).join(", ")}]`);
      return { value: t.dataSync()[0] };
    }
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== "number") throw new MagicError("TypeError", `sweep: the result's field ${k} is ${typeof x}, not a number`);
      out[k] = x;
    }
    if (Object.keys(out).length) return out;
  }
  throw new MagicError(
    "TypeError",
    `sweep: each run's last value must be a number or an object of numbers, got ${v === undefined ? "nothing" : typeof v}`,
  );
}

function literal(v: unknown): string {
  return JSON.stringify(v);
}

const FN = Symbol.for("reglab.magics.sweep");
const OUT = Symbol.for("reglab.magics.sweep.out");

/** TypeScript type of a swept name's parameter, from its values (e.g. `number`, `number | string`). */
function paramType(values: unknown[]): string {
  const kinds = new Set(values.map((v) => (v === null ? "null" : typeof v)));
  return [...kinds].join(" | ");
}

/** The body as one async function of the swept names (compiled once), or null when it holds line magics. */
async function compileBody(plan: SweepPlan, body: string, ctx: MagicContext): Promise<((...args: unknown[]) => Promise<unknown>) | null> {
  if (mayHaveMagic(body) && splitSegments(body).some((s) => s.kind === "line")) return null;
  const { body: fnBody } = toFunctionBody(body);
  const params = plan.names.map((n, j) => `${n}: ${paramType(plan.values[j])}`).join(", ");
  // One header line, so the body's line numbers are off by exactly one.
  const src = `(globalThis as any)[Symbol.for("reglab.magics.sweep")] = async (${params}) => {\n${fnBody}\n};\n`;
  const g = globalThis as Record<symbol, unknown>;
  delete g[FN];
  const out = await ctx.run(src);
  if (out.status === "error")
    throw new MagicError(out.ename, `the sweep body does not compile (line numbers are the body's + 1): ${out.evalue}`);
  const fn = g[FN];
  delete g[FN];
  if (typeof fn !== "function") throw new MagicError("RuntimeError", "sweep: the body did not compile to a function");
  return fn as (...args: unknown[]) => Promise<unknown>;
}

export async function runSweep(plan: SweepPlan, body: string, ctx: MagicContext): Promise<Record<string, unknown>[]> {
  const combos = cartesian(plan.values);
  const seeds: Array<number | null> = plan.seeds ?? [null];
  const total = combos.length * seeds.length;
  const rows: Record<string, unknown>[] = [];
  const seedModule = require("../../src/random/seed") as typeof import("../../src/random/seed");
  const fn = await compileBody(plan, body, ctx);
  let k = 0;
  for (const combo of combos) {
    for (const s of seeds) {
      k++;
      if (ctx.interrupted()) throw new MagicError("KeyboardInterrupt", `sweep interrupted after ${k - 1} of ${total} runs`);
      if (s !== null) seedModule.seed(s);
      const label = [...plan.names.map((n, j) => `${n}=${String(combo[j])}`), ...(s !== null ? [`seed=${s}`] : [])].join(" ");
      let value: unknown;
      if (fn) {
        // Called from a (tiny) cell rather than from here, so a synchronous body stays interruptible like any cell.
        const g = globalThis as Record<symbol, unknown>;
        g[FN] = fn;
        delete g[OUT];
        try {
          // Not `await (expr)`: tslab's parser reads that as a call of a function named await.
          const call =
            `await Promise.resolve((globalThis as any)[Symbol.for("reglab.magics.sweep")](${combo.map(literal).join(", ")}))` +
            `.then((v: unknown) => { (globalThis as any)[Symbol.for("reglab.magics.sweep.out")] = v; });`;
          const out = await ctx.run(call);
          if (out.status === "error") throw new MagicError(out.ename, `run ${k}/${total} (${label}): ${out.evalue}`);
          value = g[OUT];
        } finally {
          delete g[FN];
          delete g[OUT];
        }
      } else {
        // One line of bindings, so the body's line numbers are off by exactly one.
        const binds = plan.names.map((n, j) => `const ${n} = ${literal(combo[j])};`).join(" ");
        const out = await ctx.run(`${binds}\n${body}`);
        if (out.status === "error") throw new MagicError(out.ename, `run ${k}/${total} (${label}): ${out.evalue}`);
        value = out.status === "ok" && out.hasValue ? out.value : undefined;
      }
      const cols = resultColumns(value);
      const row: Record<string, unknown> = {};
      plan.names.forEach((n, j) => (row[n] = combo[j]));
      if (s !== null) row.seed = s;
      Object.assign(row, cols);
      rows.push(row);
      const shown = Object.entries(cols)
        .map(([c, v]) => `${c}=${Number(v.toPrecision(6))}`)
        .join(" ");
      ctx.io.stdout(`[${k}/${total}] ${label} → ${shown}\n`);
    }
  }
  return rows;
}

export const sweepMagic: Magic = {
  kind: "cell",
  name: "sweep",
  usage: USAGE,
  help:
    "Run the cell once per combination of the given values (cartesian product), with each name bound to its value " +
    "and, with --seeds a..b, seed(s) set per run. The last value of each run (a number or an object of numbers) is " +
    "collected into a danfo DataFrame with one column per swept name, seed, and the values; it is shown and bound to _sweep.\n" +
    "The body runs as a function (compiled once), so the swept names and the body's own declarations do not stay in " +
    "the notebook. Exception: a body containing line magics runs as ordinary cell code, and then they do stay bound " +
    "(each swept name holding its last value).\n" +
    "Example:\n  %%sweep lambda=0,0.001,0.01 --seeds 0..2\n  const h = await train({ l2: lambda });\n  ({ val_loss: h.valLoss })",
  bodyIsCode: true,
  async run(args, body, ctx) {
    const plan = parseSweepArgs(args);
    if (!body.trim()) throw new UsageError(`the cell body is empty.\nUsage: ${USAGE}`);
    const rows = await runSweep(plan, body, ctx);
    const dfd = require("danfojs-node") as { DataFrame: new (rows: Record<string, unknown>[]) => unknown };
    // Every row has the same keys only if every run returned the same fields.
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const full = rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? NaN])));
    const df = new dfd.DataFrame(full);
    await ctx.bind("_sweep", df);
    const b = toMimeBundle(df);
    ctx.io.display({ data: b.data, metadata: b.metadata }, false);
  },
};
