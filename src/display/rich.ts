/**
 * Rich display of values: the MIME bundle a value is shown with, both as a
 * cell's `execute_result` (Out[n]) and through `display(x)`.
 *
 * In order:
 * 1. an object with `[Symbol.for("Jupyter.display")]()` (Deno's protocol)
 *    renders itself; it may return a bare bundle or `{data, metadata}`;
 * 2. renderers other areas registered (renderers.ts): src/frames shows a
 *    danfo DataFrame or Series and a training history (reglab's or tfjs's)
 *    as a table;
 * 3. a tf.Tensor: `Tensor float32 [3, 4]` then tfjs's (already truncated)
 *    values; a disposed tensor says so instead of throwing;
 * 4. a tfjs LayersModel: a summary like `model.summary()` (layer name, type,
 *    output shape, params; total / trainable / non-trainable params) as a
 *    text/plain table and an HTML table;
 * 5. anything else: `util.inspect` text, strings quoted as IPython's repr.
 * Tensors and models are recognised by shape (duck typing), so this module
 * never loads tfjs or danfo itself.
 */
import { inspect } from "util";
import { JUPYTER_DISPLAY, publish, type MimeBundle } from "./transport";
import { renderRegistered, type ResultBundle } from "./renderers";
import { escapeHtml } from "./html";

export type { ResultBundle };

export function toMimeBundle(value: unknown): ResultBundle {
  const own = selfRendered(value);
  if (own) return own;
  const registered = renderRegistered(value);
  if (registered) return registered;
  if (isTensorLike(value)) return { data: { "text/plain": tensorText(value) }, metadata: {} };
  if (isLayersModelLike(value)) return modelBundle(value);
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
    const body = t
      .toString()
      .replace(/^Tensor\s*\n/, "")
      .replace(/^    /gm, "");
    return `${head}\n${body}`;
  } catch (e) {
    return `${head} (values unavailable: ${e instanceof Error ? e.message : String(e)})`;
  }
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
  return (
    typeof m.countParams === "function" && typeof m.summary === "function" && Array.isArray(m.layers) && typeof m.getLayer === "function"
  );
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
    `<thead><tr><th style="text-align:left">Layer</th><th style="text-align:left">Type</th>` +
    `<th style="text-align:left">Output shape</th><th style="text-align:right">Params</th></tr></thead>` +
    `<tbody>${s.rows.map((r) => `<tr>${td(r.layer)}${td(r.type)}${td(r.outputShape)}${td(n(r.params), true)}</tr>`).join("")}</tbody>` +
    `<tfoot>${totals.map((t) => `<tr><td colspan="4" style="text-align:left">${escapeHtml(t)}</td></tr>`).join("")}</tfoot></table>`;
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}
