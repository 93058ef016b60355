/**
 * Rich display of values: the MIME bundle a value is shown with, both as a
 * cell's `execute_result` (Out[n]) and through `display(x)`.
 *
 * In order:
 * 1. an object with `[Symbol.for("Jupyter.display")]()` (Deno's protocol)
 *    renders itself; it may return a bare bundle or `{data, metadata}`;
 * 2. a danfo DataFrame or Series: an HTML table plus text, truncated to
 *    `MAX_ROWS` rows with the row count (src/frames' `frameBundle` when that
 *    module provides one);
 * 3. a tf.Tensor: `Tensor float32 [3, 4]` then tfjs's (already truncated)
 *    values; a disposed tensor says so instead of throwing;
 * 4. anything else: `util.inspect` text, strings quoted as IPython's repr.
 * Tensors and frames are recognised by shape (duck typing), so this module
 * never loads tfjs or danfo itself.
 */
import { inspect } from "util";
import { JUPYTER_DISPLAY, publish, type MimeBundle } from "./transport";

export interface ResultBundle {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

/** Rows shown before a table is cut (first half and last half of them). */
export const MAX_ROWS = 20;

export function toMimeBundle(value: unknown): ResultBundle {
  const own = selfRendered(value);
  if (own) return own;
  if (isFrameLike(value)) return frameBundleOf(value);
  if (isTensorLike(value)) return { data: { "text/plain": tensorText(value) }, metadata: {} };
  return { data: { "text/plain": textOf(value) }, metadata: {} };
}

/** Show values in the notebook now (each as its own display_data). */
export function display(...values: unknown[]): void {
  for (const v of values) {
    const b = toMimeBundle(v);
    publish({ data: b.data, metadata: b.metadata });
  }
}

/** IPython-repr-like text: strings quoted, objects inspected to depth 4. */
export function textOf(value: unknown): string {
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100, maxStringLength: 10000, breakLength: 100 });
}

function selfRendered(value: unknown): ResultBundle | null {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return null;
  const render = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  if (typeof render !== "function") return null;
  const out = render.call(value) as unknown;
  if (!out || typeof out !== "object") return null;
  const o = out as Record<string, unknown>;
  if (o.data && typeof o.data === "object" && !Array.isArray(o.data)) {
    const data = { ...(o.data as MimeBundle) };
    const metadata = o.metadata && typeof o.metadata === "object" ? { ...(o.metadata as Record<string, unknown>) } : {};
    if (!("text/plain" in data)) data["text/plain"] = textOf(value);
    return { data, metadata };
  }
  return { data: { ...o }, metadata: {} };
}

// ---- tensors ----

interface TensorLike {
  dtype: string;
  shape: number[];
  isDisposed: boolean;
  toString(verbose?: boolean): string;
}

function isTensorLike(v: unknown): v is TensorLike {
  if (typeof v !== "object" || v === null) return false;
  const t = v as Record<string, unknown>;
  return Array.isArray(t.shape) && typeof t.dtype === "string" && typeof t.dataSync === "function" && typeof t.dispose === "function";
}

/** `Tensor float32 [3, 4]` then the values as tfjs prints them (it cuts large tensors itself). */
export function tensorText(t: TensorLike): string {
  const head = `Tensor ${t.dtype} [${t.shape.join(", ")}]`;
  if (t.isDisposed) return `${head} (disposed)`;
  try {
    const body = t.toString().replace(/^Tensor\s*\n/, "").replace(/^    /gm, "");
    return `${head}\n${body}`;
  } catch (e) {
    return `${head} (values unavailable: ${e instanceof Error ? e.message : String(e)})`;
  }
}

// ---- data frames ----

interface FrameLike {
  shape: number[];
  columns: string[];
  values: unknown[];
  index: Array<string | number>;
  constructor: { name: string };
}

function isFrameLike(v: unknown): v is FrameLike {
  if (typeof v !== "object" || v === null) return false;
  const name = (Object.getPrototypeOf(v)?.constructor?.name as string | undefined) ?? "";
  if (name !== "DataFrame" && name !== "Series") return false;
  const f = v as Record<string, unknown>;
  return Array.isArray(f.shape) && Array.isArray(f.columns) && Array.isArray(f.values) && Array.isArray(f.index);
}

function frameBundleOf(f: FrameLike): ResultBundle {
  // src/frames may provide the styled table; looked up at run time so the two areas stay independent.
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const frames = require("../frames") as Record<string, unknown>;
    if (typeof frames.frameBundle === "function") {
      const b = (frames.frameBundle as (x: unknown) => unknown)(f);
      if (b && typeof b === "object") {
        const o = b as Record<string, unknown>;
        if (o.data && typeof o.data === "object") return { data: o.data as MimeBundle, metadata: (o.metadata as Record<string, unknown>) ?? {} };
        return { data: o as MimeBundle, metadata: {} };
      }
    }
  } catch {
    // fall back to the minimal table below
  }
  return frameTable(f);
}

/** Row positions shown: all, or the first and last MAX_ROWS/2 with a gap marker (-1). */
function shownRows(n: number, maxRows: number): number[] {
  if (n <= maxRows) return Array.from({ length: n }, (_, i) => i);
  const half = Math.floor(maxRows / 2);
  return [...Array.from({ length: half }, (_, i) => i), -1, ...Array.from({ length: half }, (_, i) => n - half + i)];
}

function cellText(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (v === null || v === undefined) return "NaN";
  return String(v);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A minimal HTML + text table for a DataFrame or Series. */
export function frameTable(f: FrameLike, maxRows = MAX_ROWS): ResultBundle {
  const series = f.constructor.name === "Series";
  const columns = series ? [String(f.columns[0] ?? "")] : f.columns.map(String);
  const rowsData: unknown[][] = series ? f.values.map((v) => [v]) : (f.values as unknown[][]);
  const n = rowsData.length;
  const rows = shownRows(n, maxRows);
  const footer = series ? `[${n} values]` : `[${n} rows × ${columns.length} columns]`;

  const th = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((r) =>
      r === -1
        ? `<tr><th>…</th>${columns.map(() => "<td>…</td>").join("")}</tr>`
        : `<tr><th>${escapeHtml(String(f.index[r]))}</th>${rowsData[r].map((v) => `<td>${escapeHtml(cellText(v))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const html =
    `<table class="dataframe reglab-frame" border="1">\n<thead><tr style="text-align: right;"><th></th>${th}</tr></thead>\n` +
    `<tbody>\n${body}\n</tbody>\n</table>\n<p>${escapeHtml(footer)}</p>`;

  const textRows = [["", ...columns], ...rows.map((r) => (r === -1 ? ["…", ...columns.map(() => "…")] : [String(f.index[r]), ...rowsData[r].map(cellText)]))];
  const widths = textRows[0].map((_, j) => Math.max(...textRows.map((row) => (row[j] ?? "").length)));
  const text = textRows.map((row) => row.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ")).join("\n") + `\n\n${footer}`;
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}
