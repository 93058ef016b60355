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
 * 4. a tfjs LayersModel: a summary like `model.summary()` (layer name, type,
 *    output shape, params; total / trainable / non-trainable params) as a
 *    text/plain table and an HTML table;
 * 5. a training history (reglab's `History` from `train`, or tfjs's from
 *    `fit`): one table row per epoch, one column per metric (src/frames'
 *    `frameBundle`); more than `MAX_HISTORY_ROWS` epochs are thinned to
 *    evenly spaced ones, first and last kept, and the caption says so;
 * 6. anything else: `util.inspect` text, strings quoted as IPython's repr.
 * Tensors, frames, models and histories are recognised by shape (duck
 * typing), so this module never loads tfjs or danfo itself.
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
  if (isLayersModelLike(value)) return modelBundle(value);
  if (isHistoryLike(value)) {
    const b = historyBundle(value);
    if (b) return b;
  }
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

// ---- tfjs models ----

interface LayerLike {
  name: string;
  getClassName(): string;
  outputShape: unknown;
  countParams(): number;
}

/** The parts of a tfjs LayersModel (or Sequential) read here. */
export interface LayersModelLike {
  name: string;
  layers: LayerLike[];
  trainableWeights: Array<{ shape: number[] }>;
  nonTrainableWeights: Array<{ shape: number[] }>;
  countParams(): number;
  summary: unknown;
}

export function isLayersModelLike(v: unknown): v is LayersModelLike {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.countParams === "function" && typeof m.summary === "function" && Array.isArray(m.layers) && typeof m.getLayer === "function";
}

function shapeText(shape: unknown): string {
  // tfjs writes unknown (batch) sizes as null; several outputs are a list of shapes.
  if (Array.isArray(shape)) return `[${shape.map((d) => (Array.isArray(d) ? shapeText(d) : String(d))).join(", ")}]`;
  return String(shape);
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Per-layer rows and parameter counts of a model, as `model.summary()` reports them. */
export function modelSummary(m: LayersModelLike): {
  rows: Array<{ layer: string; type: string; outputShape: string; params: number }>;
  total: number;
  trainable: number;
  nonTrainable: number;
} {
  const rows = m.layers.map((l) => {
    let outputShape: string;
    try {
      outputShape = shapeText(l.outputShape);
    } catch {
      outputShape = "multiple"; // a layer used at several places has no single output shape (tfjs throws)
    }
    return { layer: l.name, type: l.getClassName(), outputShape, params: l.countParams() };
  });
  const trainable = m.trainableWeights.reduce((a, w) => a + sizeOf(w.shape), 0);
  const nonTrainable = m.nonTrainableWeights.reduce((a, w) => a + sizeOf(w.shape), 0);
  return { rows, total: trainable + nonTrainable, trainable, nonTrainable };
}

function modelBundle(m: LayersModelLike): ResultBundle {
  const kind = (Object.getPrototypeOf(m)?.constructor?.name as string | undefined) ?? "LayersModel";
  if (m.layers.length === 0) return { data: { "text/plain": `<${kind} "${m.name}": no layers yet>` }, metadata: {} };
  let s: ReturnType<typeof modelSummary>;
  try {
    s = modelSummary(m);
  } catch (e) {
    // e.g. a layer that is not built yet
    return { data: { "text/plain": `<${kind} ${m.name}: no summary (${e instanceof Error ? e.message : String(e)})>` }, metadata: {} };
  }
  const n = (x: number) => x.toLocaleString("en-US");
  const head = `${kind} "${m.name}": ${m.layers.length} layer${m.layers.length === 1 ? "" : "s"}, ${n(s.total)} params`;
  const cols = ["Layer (type)", "Output shape", "Param #"];
  const cells = s.rows.map((r) => [`${r.layer} (${r.type})`, r.outputShape, n(r.params)]);
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => (j === 2 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("   ");
  const rule = "-".repeat(widths.reduce((a, b) => a + b, 0) + 6);
  const totals = [`Total params: ${n(s.total)}`, `Trainable params: ${n(s.trainable)}`, `Non-trainable params: ${n(s.nonTrainable)}`];
  const text = [head, rule, line(cols), rule, ...cells.map(line), rule, ...totals].join("\n");
  const td = (c: string, right = false) => `<td style="text-align:${right ? "right" : "left"}">${escapeHtml(c)}</td>`;
  const html =
    `<table class="reglab-model-summary" style="font-variant-numeric:tabular-nums">` +
    `<caption style="text-align:left">${escapeHtml(head)}</caption>` +
    `<thead><tr><th style="text-align:left">Layer</th><th style="text-align:left">Type</th><th style="text-align:left">Output shape</th><th style="text-align:right">Params</th></tr></thead>` +
    `<tbody>${s.rows.map((r) => `<tr>${td(r.layer)}${td(r.type)}${td(r.outputShape)}${td(n(r.params), true)}</tr>`).join("")}</tbody>` +
    `<tfoot>${totals.map((t) => `<tr><td colspan="4" style="text-align:left">${escapeHtml(t)}</td></tr>`).join("")}</tfoot></table>`;
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}

// ---- training histories ----

/** Epochs shown in full; longer histories are thinned to about this many evenly spaced epochs. */
export const MAX_HISTORY_ROWS = 30;

interface HistoryShape {
  epoch: number[];
  metrics?: Record<string, unknown>;
  history?: Record<string, unknown>;
  stoppedEpoch?: number | null;
}

function isHistoryLike(v: unknown): v is HistoryShape {
  if (typeof v !== "object" || v === null) return false;
  if ((Object.getPrototypeOf(v)?.constructor?.name as string | undefined) !== "History") return false;
  const h = v as Record<string, unknown>;
  const cols = h.metrics ?? h.history;
  return Array.isArray(h.epoch) && typeof cols === "object" && cols !== null && !Array.isArray(cols);
}

/** Row positions to show: all, or evenly spaced ones including the first and last. */
export function thinnedRows(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil((n - 1) / (max - 1));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += step) out.push(i);
  out.push(n - 1);
  return out;
}

function historyBundle(h: HistoryShape): ResultBundle | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const frames = require("../frames") as typeof import("../frames");
    const records = frames.historyToRecords(h as import("../frames").HistoryLike);
    const shown = thinnedRows(records.length, MAX_HISTORY_ROWS);
    const names = Object.keys(h.metrics ?? h.history ?? {});
    let caption = `History: ${records.length} epoch${records.length === 1 ? "" : "s"}${names.length ? ` (${names.join(", ")})` : ""}`;
    if (typeof h.stoppedEpoch === "number") caption += `, stopped early at epoch ${h.stoppedEpoch}`;
    if (shown.length < records.length) caption += `; one epoch in ${shown[1] - shown[0]} shown, and the last`;
    const b = frames.frameBundle(shown.map((i) => records[i]), { caption, maxRows: shown.length });
    return { data: { "text/html": b["text/html"], "text/plain": b["text/plain"] }, metadata: {} };
  } catch {
    return null; // not a history after all (or frames unavailable): shown as an object
  }
}
