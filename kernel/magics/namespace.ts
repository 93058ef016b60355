/**
 * The notebook namespace and environment: `%who`, `%whos`, `%reset -f`,
 * `%env`. Names starting with `__` are the layer's own and are hidden.
 */
import { UsageError, parseMagicOptions, splitArgs } from "../options";
import { bareLineMagic, settingsMagic, unquote } from "./forms";
import type { Magic } from "./registry";

/** Globals the kernel declares for cells (kernel/execution/typescript.ts, declareGlobals), not the user's. */
const KERNEL_GLOBALS = new Set(["prompt"]);

function userNames(locals: Record<string, unknown>): string[] {
  return Object.keys(locals)
    .filter((n) => !n.startsWith("__") && !KERNEL_GLOBALS.has(n))
    .sort();
}

/** Type name and a one-line description of a value, for %whos. */
export function describe(v: unknown): { type: string; info: string } {
  if (v === null) return { type: "null", info: "null" };
  if (typeof v === "function")
    return {
      type: /^class[\s{]/.test(Function.prototype.toString.call(v)) ? "class" : "function",
      info: `${v.name || "<anonymous>"}(${v.length} args)`,
    };
  if (typeof v !== "object") return { type: typeof v, info: short(String(typeof v === "string" ? JSON.stringify(v) : v)) };
  const o = v as Record<string, unknown>;
  const ctor = (Object.getPrototypeOf(o)?.constructor?.name as string | undefined) ?? "Object";
  if (Array.isArray(o.shape) && typeof o.dtype === "string" && typeof o.dataSync === "function") {
    return { type: "Tensor", info: `${o.dtype} [${(o.shape as number[]).join(", ")}]${o.isDisposed ? " (disposed)" : ""}` };
  }
  const model = describeModel(o, ctor);
  if (model) return model;
  if ((ctor === "DataFrame" || ctor === "Series") && Array.isArray(o.shape)) {
    const [rows, cols] = o.shape as number[];
    return { type: ctor, info: ctor === "DataFrame" ? `${rows} rows × ${cols} columns` : `${rows} values` };
  }
  if (Array.isArray(v)) return { type: "Array", info: `length ${v.length}` };
  if (ArrayBuffer.isView(v)) return { type: ctor, info: `length ${(v as unknown as { length: number }).length}` };
  if (v instanceof Map || v instanceof Set) return { type: ctor, info: `size ${v.size}` };
  if (typeof (o as { then?: unknown }).then === "function") return { type: "Promise", info: "" };
  const keys = Object.keys(o);
  return { type: ctor, info: short(keys.length ? `{${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}}` : "{}") };
}

/** tfjs models and optimizers and training histories, by duck typing (this module never loads tfjs). */
function describeModel(o: Record<string, unknown>, ctor: string): { type: string; info: string } | null {
  if (typeof o.countParams === "function" && Array.isArray(o.layers) && typeof o.summary === "function") {
    const n = (o.layers as unknown[]).length;
    let params: string;
    try {
      params = `${(o.countParams as () => number).call(o).toLocaleString("en-US")} params`;
    } catch {
      params = "not built"; // an empty Sequential cannot count its parameters
    }
    return { type: ctor, info: `LayersModel: ${n} layer${n === 1 ? "" : "s"}, ${params}` };
  }
  if (typeof o.applyGradients === "function" && typeof o.minimize === "function" && typeof o.getClassName === "function") {
    const lr = typeof o.learningRate === "number" ? `, learningRate ${o.learningRate}` : "";
    return { type: ctor, info: `Optimizer ${(o.getClassName as () => string).call(o)}${lr}` };
  }
  const cols = o.metrics ?? o.history;
  if (ctor === "History" && Array.isArray(o.epoch) && cols && typeof cols === "object") {
    const n = (o.epoch as unknown[]).length;
    return { type: ctor, info: short(`${n} epoch${n === 1 ? "" : "s"} (${Object.keys(cols).join(", ")})`) };
  }
  return null;
}

function short(s: string, max = 60): string {
  const one = s.replace(/\s+/g, " ");
  return one.length > max ? one.slice(0, max - 1) + "…" : one;
}

const ENV_USAGE = "%env [VAR[=value]]   (also %env VAR value)";

export const namespaceMagics: Magic[] = [
  bareLineMagic("who", "List the notebook's variables.", async (ctx) => {
    const names = userNames(ctx.inner.locals);
    ctx.io.stdout(names.length ? names.join("\t") + "\n" : "Interactive namespace is empty.\n");
  }),
  bareLineMagic(
    "whos",
    "Table of the notebook's variables: name, type, and short info (tensor dtype and shape, DataFrame shape, " +
      "tfjs model layers and params, optimizer, training history epochs, array length, value).",
    async (ctx) => {
      const locals = ctx.inner.locals;
      const names = userNames(locals);
      if (!names.length) {
        ctx.io.stdout("Interactive namespace is empty.\n");
        return;
      }
      const rows = names.map((n) => ({ n, ...describe(locals[n]) }));
      const w1 = Math.max(8, ...rows.map((r) => r.n.length)) + 3;
      const w2 = Math.max(4, ...rows.map((r) => r.type.length)) + 3;
      const head = "Variable".padEnd(w1) + "Type".padEnd(w2) + "Data/Info";
      const lines = [head, "-".repeat(head.length + 8), ...rows.map((r) => r.n.padEnd(w1) + r.type.padEnd(w2) + r.info)];
      ctx.io.stdout(lines.join("\n") + "\n");
    },
  ),
  {
    kind: "line",
    name: "reset",
    usage: "%reset -f",
    help: "Forget all notebook variables and declarations. -f is required (a kernel cannot ask for confirmation).",
    async run(args, ctx) {
      const opts = parseMagicOptions(splitArgs(args), { flags: ["-f"] }, "%reset -f");
      if (!opts.flags.has("-f") || opts.positional.length)
        throw new UsageError("%reset needs -f to confirm (the kernel cannot ask).\nUsage: %reset -f");
      ctx.inner.reset();
    },
  },
  settingsMagic({
    name: "env",
    usage: ENV_USAGE,
    help:
      "Without arguments, list environment variables. %env VAR prints one; %env VAR=value (or %env VAR value) " +
      "sets it for the kernel and the processes it starts.",
    list: () => Object.keys(process.env).sort().map((k) => `${k}=${process.env[k]}`),
    set(a, ctx) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)([\s\S]*)$/.exec(a);
      if (m) {
        const value = unquote(m[2]);
        process.env[m[1]] = value;
        ctx.io.stdout(`env: ${m[1]}=${value}\n`);
        return;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) throw new UsageError(`"${a}" is not a variable name.\nUsage: ${ENV_USAGE}`);
      const v = process.env[a];
      if (v === undefined) throw new UsageError(`environment variable ${a} is not set.`);
      ctx.io.stdout(v + "\n");
    },
  }),
];
