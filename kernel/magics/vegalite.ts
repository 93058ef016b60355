/**
 * `%%vegalite [--data varName]`: the body is a vega-lite JSON spec. With
 * --data, the spec's data becomes `{values: <records>}` from a notebook
 * variable (an array of records, or a danfo DataFrame). Rendered with
 * src/charts (vega-lite + PNG + text) when it loads, else as
 * `application/vnd.vegalite.v5+json` + text/plain.
 */
import { MagicError } from "./errors";
import { UsageError, parseMagicOptions, splitArgs } from "../options";
import type { Magic } from "./registry";
import { jsonErrorOffset } from "./tsfork";

const USAGE = "%%vegalite [--data varName]\n<vega-lite JSON spec>";

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  return { line, col: pos - before.lastIndexOf("\n") };
}

export function parseSpecJson(body: string): Record<string, unknown> {
  let spec: unknown;
  try {
    spec = JSON.parse(body);
  } catch (e) {
    const msg = (e as Error).message;
    // Node's message has the offset only for some errors; TypeScript's JSON parser always has one.
    const m = /position (\d+)/.exec(msg);
    let pos: number | null = m ? Number(m[1]) : null;
    try {
      pos = pos ?? jsonErrorOffset(body);
    } catch {
      // no position then
    }
    // The body starts on the cell's second line.
    const where = pos !== null ? (({ line, col }) => ` at line ${line + 1}, column ${col} of the cell`)(lineCol(body, pos)) : "";
    throw new MagicError("JSONDecodeError", `the %%vegalite cell is not valid JSON${where}: ${msg}`);
  }
  if (!spec || typeof spec !== "object" || Array.isArray(spec))
    throw new MagicError("ValueError", "a vega-lite spec must be a JSON object");
  return spec as Record<string, unknown>;
}

/** Records from an array of objects or a danfo DataFrame. */
export function recordsOf(v: unknown, name: string): Record<string, unknown>[] {
  // Copies: vega tags the records it renders (Symbol(vega_id)), and they are the notebook's objects.
  if (Array.isArray(v))
    return (v as unknown[]).map((r) => (r && typeof r === "object" ? { ...(r as Record<string, unknown>) } : { value: r }));
  const f = v as { columns?: unknown; values?: unknown; constructor?: { name?: string } } | null;
  if (f && Array.isArray(f.columns) && Array.isArray(f.values) && f.constructor?.name === "DataFrame") {
    const cols = f.columns as string[];
    return (f.values as unknown[][]).map((row) => Object.fromEntries(cols.map((c, j) => [c, row[j]])));
  }
  throw new MagicError("TypeError", `${name} must be an array of records or a danfo DataFrame, got ${v === null ? "null" : typeof v}`);
}

export const vegaliteMagic: Magic = {
  kind: "cell",
  name: "vegalite",
  usage: USAGE,
  help:
    "Render the cell body (a vega-lite v5 JSON spec) as a chart. --data varName takes the data from a notebook variable " +
    "(array of records or DataFrame).",
  async run(args, body, ctx) {
    const opts = parseMagicOptions(splitArgs(args), { values: ["--data"] }, USAGE);
    if (opts.positional.length) throw new UsageError(`unexpected argument "${opts.positional[0]}".\nUsage: ${USAGE}`);
    const spec = parseSpecJson(body);
    const varName = opts.values["--data"];
    if (varName !== undefined) {
      const locals = ctx.inner.locals;
      if (!(varName in locals)) throw new MagicError("NameError", `no notebook variable named ${varName}`);
      spec.data = { values: recordsOf(locals[varName], varName) };
    }
    let bundle: { data: Record<string, unknown>; metadata: Record<string, unknown> };
    try {
      const charts = require("../../src/charts") as typeof import("../../src/charts");
      bundle = charts.chart(spec as import("../../src/charts").VegaLiteSpec).bundle();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND")
        throw new MagicError("ValueError", `cannot render the spec: ${(e as Error).message}`);
      bundle = { data: { "application/vnd.vegalite.v5+json": spec, "text/plain": "<VegaLite 5 chart>" }, metadata: {} };
    }
    ctx.io.display(bundle, false);
  },
};
