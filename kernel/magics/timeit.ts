/**
 * `%timeit [-n N] [-r R] statement` and `%%timeit`: IPython's timeit.
 *
 * The code is compiled ONCE by the inner executor into a function
 * `() => { <code>; return <last expression> }` (async when the code awaits),
 * then called N times per run, R runs (default 7). Without -n, N grows
 * 1, 10, 100, ... until one run of N loops takes at least 0.2 s (IPython's
 * rule). Each loop awaits a returned promise, and a returned tf.Tensor (or
 * array of them) is read back with `await t.data()` and disposed, so work
 * that async backends defer is timed honestly. Each loop runs inside a tfjs
 * engine scope (when tfjs is loaded), so tensors it creates are freed.
 *
 * Output, as IPython: `X ms ± Y µs per loop (mean ± std. dev. of R runs, N loops each)`
 * where mean and std. dev. (population, ddof 0) are over the R per-loop times.
 */
import { MagicError } from "./errors";
import { UsageError, parseMagicOptions, splitArgs } from "../options";
import type { Magic, MagicContext } from "./registry";
import { formatTime, plural } from "./format";
import { toFunctionBody } from "./tsfork";

const USAGE_LINE = "%timeit [-n N] [-r R] statement";
const USAGE_CELL = "%%timeit [-n N] [-r R]\n<cell body>";
const FN = Symbol.for("reglab.magics.timeit");
const MIN_RUN_SECONDS = 0.2;

interface TensorLike {
  data(): Promise<unknown>;
  dispose(): void;
  isDisposed?: boolean;
}

function isTensorLike(v: unknown): v is TensorLike {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as TensorLike).data === "function" &&
    typeof (v as TensorLike).dispose === "function" &&
    Array.isArray((v as { shape?: unknown }).shape)
  );
}

/** Read back and dispose tensors a loop returned. */
async function settle(v: unknown): Promise<void> {
  if (isTensorLike(v)) {
    if (!v.isDisposed) {
      await v.data();
      v.dispose();
    }
  } else if (Array.isArray(v) && v.length > 0 && isTensorLike(v[0])) {
    for (const t of v) await settle(t);
  }
}

export interface TimeitResult {
  loops: number;
  repeat: number;
  /** Seconds per loop, one entry per run. */
  perLoop: number[];
}

/** Compile `code` once through the inner executor; returns the function to time. */
async function compile(code: string, ctx: MagicContext): Promise<() => unknown> {
  const { body, usesAwait } = toFunctionBody(code);
  const src = `(globalThis as any)[Symbol.for("reglab.magics.timeit")] = ${usesAwait ? "async " : ""}() => {\n${body}\n};\n`;
  const g = globalThis as Record<symbol, unknown>;
  delete g[FN];
  const out = await ctx.run(src);
  if (out.status === "error") throw new MagicError(out.ename, out.evalue);
  const fn = g[FN];
  delete g[FN];
  if (typeof fn !== "function") throw new MagicError("RuntimeError", "timeit: the timed code did not compile to a function");
  return fn as () => unknown;
}

/** tfjs's engine when tfjs is loaded (tfjs-core keeps it on the global object); never loads tfjs. */
interface EngineScopes {
  startScope(name?: string): void;
  endScope(result?: unknown): void;
}
function tfEngine(): EngineScopes | null {
  const e = (globalThis as { _tfengine?: Partial<EngineScopes> })._tfengine;
  return e && typeof e.startScope === "function" && typeof e.endScope === "function" ? (e as EngineScopes) : null;
}

async function timeLoops(fn: () => unknown, n: number, ctx: MagicContext): Promise<number> {
  // Each loop runs in a tfjs scope: tensors the timed code makes are freed as a cell's would be by tf.tidy.
  const engine = tfEngine();
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < n; k++) {
    engine?.startScope();
    try {
      let v = fn();
      if (v !== null && typeof v === "object" && typeof (v as PromiseLike<unknown>).then === "function") v = await v;
      if (v !== undefined && typeof v === "object") await settle(v);
    } finally {
      engine?.endScope();
    }
    if (ctx.interrupted()) throw new MagicError("KeyboardInterrupt", "timeit interrupted");
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Let a pending interrupt (SIGINT handler, interrupt_request) in between runs of synchronous code.
  await new Promise((res) => setImmediate(res));
  if (ctx.interrupted()) throw new MagicError("KeyboardInterrupt", "timeit interrupted");
  return seconds;
}

export async function timeit(code: string, ctx: MagicContext, loops: number | null, repeat: number): Promise<TimeitResult> {
  const fn = await compile(code, ctx);
  let n = loops ?? 0;
  if (!n) {
    for (let i = 0; i < 10; i++) {
      n = 10 ** i;
      if ((await timeLoops(fn, n, ctx)) >= MIN_RUN_SECONDS) break;
    }
  }
  const perLoop: number[] = [];
  for (let r = 0; r < repeat; r++) perLoop.push((await timeLoops(fn, n, ctx)) / n);
  return { loops: n, repeat, perLoop };
}

export function formatTimeit(res: TimeitResult): string {
  const { perLoop, loops, repeat } = res;
  const mean = perLoop.reduce((a, b) => a + b, 0) / perLoop.length;
  const std = Math.sqrt(perLoop.reduce((a, b) => a + (b - mean) ** 2, 0) / perLoop.length);
  const runs = `${plural(repeat, "run")}, ${plural(loops, "loop")} each`;
  let text = `${formatTime(mean)} ± ${formatTime(std)} per loop (mean ± std. dev. of ${runs})\n`;
  const best = Math.min(...perLoop);
  const worst = Math.max(...perLoop);
  if (worst > 4 * best && best > 0 && worst > 1e-6) {
    text =
      `The slowest run took ${(worst / best).toFixed(2)} times longer than the fastest. ` +
      "This could mean that an intermediate result is being cached.\n" +
      text;
  }
  return text;
}

/** A positive integer option value, or a usage error. */
function positiveInt(name: string, v: string, usage: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${v}".\nUsage: ${usage}`);
  return n;
}

async function runTimeit(args: string, code: string, usage: string, ctx: MagicContext): Promise<void> {
  const opts = parseMagicOptions(splitArgs(args), { values: ["-n", "-r"] }, usage);
  const loops = opts.values["-n"] !== undefined ? positiveInt("-n", opts.values["-n"], usage) : null;
  const repeat = opts.values["-r"] !== undefined ? positiveInt("-r", opts.values["-r"], usage) : 7;
  if (!code.trim()) throw new UsageError(`nothing to time.\nUsage: ${usage}`);
  ctx.io.stdout(formatTimeit(await timeit(code, ctx, loops, repeat)));
}

const HELP =
  "Time a statement (or the cell) over many loops: it is compiled once, then called N times per run, R runs " +
  "(default 7). Without -n, N is chosen so that one run takes at least 0.2 s. Promises are awaited and returned " +
  "tensors are read back and disposed in each loop.\n  -n N  loops per run\n  -r R  number of runs (default 7)";

export const timeitMagics: Magic[] = [
  {
    kind: "line",
    name: "timeit",
    usage: USAGE_LINE,
    help: HELP,
    async run(args, ctx) {
      // Options come first; the rest of the line (verbatim) is the statement.
      const m = /^((?:\s*-[nr]\s+\S+)*)\s*([\s\S]*)$/.exec(args)!;
      // "%timeit -n" is an option without its value (as IPython), not the statement `-n`.
      const dangling = /^(-[nr])\s*$/.exec(m[2]);
      if (dangling) throw new UsageError(`option ${dangling[1]} needs a value.\nUsage: ${USAGE_LINE}`);
      await runTimeit(m[1], m[2], USAGE_LINE, ctx);
    },
  },
  {
    kind: "cell",
    name: "timeit",
    usage: USAGE_CELL,
    help: HELP,
    bodyIsCode: true,
    async run(args, body, ctx) {
      await runTimeit(args, body, USAGE_CELL, ctx);
    },
  },
];
