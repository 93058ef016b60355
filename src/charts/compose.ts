/**
 * Composition of charts: layer, side by side, stacked, small multiples.
 * Works on each chart's source spec (before the theme); the result is a
 * new Chart themed once. Top-level-only keys ($schema, config, and for
 * concatenation the children's sizes stay with the children) are moved or
 * dropped as vega-lite requires.
 */
import { Chart } from "./chart";
import type { VegaLiteSpec } from "./render";

type ChartLike = Chart | VegaLiteSpec;

function source(c: ChartLike): VegaLiteSpec {
  return c instanceof Chart ? c.source : c;
}

function strip(spec: VegaLiteSpec, keys: string[]): VegaLiteSpec {
  const out: VegaLiteSpec = { ...spec };
  for (const k of keys) delete out[k];
  return out;
}

export interface ComposeOptions {
  title?: string;
  /** Independent colour scales (e.g. two charts whose colours mean different things). */
  independentColors?: boolean;
}

/** Overlay charts that share x/y (each keeps its own data). */
export function layer(charts: ChartLike[], options: ComposeOptions = {}): Chart {
  if (charts.length === 0) throw new Error("layer: give at least one chart");
  const specs = charts.map(source);
  for (const s of specs) {
    if (!("mark" in s || "layer" in s))
      throw new Error("layer: only single-view or layered charts can be layered (not facets or concatenations)");
  }
  const first = specs[0];
  const out: VegaLiteSpec = {
    title: options.title ?? first.title,
    layer: specs.map((s) => strip(s, ["$schema", "config", "title", "width", "height", "resolve"])),
  };
  if (first.width !== undefined) out.width = first.width;
  if (first.height !== undefined) out.height = first.height;
  if (options.independentColors) out.resolve = { scale: { color: "independent" } };
  return new Chart(out);
}

function concat(kind: "hconcat" | "vconcat", charts: ChartLike[], options: ComposeOptions): Chart {
  if (charts.length === 0) throw new Error(`${kind}: give at least one chart`);
  const out: VegaLiteSpec = { [kind]: charts.map((c) => strip(source(c), ["$schema", "config"])) };
  if (options.title) out.title = options.title;
  out.resolve = { scale: { color: options.independentColors === false ? "shared" : "independent" } };
  return new Chart(out);
}

/** Side by side (colour scales independent unless independentColors: false). */
export function hconcat(charts: ChartLike[], options: ComposeOptions = {}): Chart {
  return concat("hconcat", charts, options);
}

/** Stacked vertically (colour scales independent unless independentColors: false). */
export function vconcat(charts: ChartLike[], options: ComposeOptions = {}): Chart {
  return concat("vconcat", charts, options);
}

export interface FacetOptions {
  /** Field to split by (e.g. "method"). */
  field: string;
  columns?: number;
  title?: string;
  /** Panel size (default 300×220). */
  width?: number;
  height?: number;
  /** Header title (default: the field name; null hides it). */
  header?: string | null;
}

/** Small multiples of a single-view or layered chart whose data is at the top level. */
export function facet(c: ChartLike, options: FacetOptions): Chart {
  const s = source(c);
  if (!("mark" in s || "layer" in s)) throw new Error("facet: only single-view or layered charts can be faceted");
  if (!s.data)
    throw new Error(
      "facet: the chart's data must be at its top level (data: {values: [...]}); layers with their own data cannot be faceted",
    );
  const values = (s.data as { values?: Array<Record<string, unknown>> }).values;
  if (Array.isArray(values) && values.length > 0 && !values.some((r) => r && options.field in r)) {
    throw new Error(`facet: no field '${options.field}' in the chart's data; fields: ${Object.keys(values[0] ?? {}).join(", ")}`);
  }
  const inner = strip(s, ["$schema", "config", "title", "data", "width", "height"]);
  inner.width = options.width ?? 300;
  inner.height = options.height ?? 220;
  return new Chart({
    title: options.title ?? s.title,
    data: s.data,
    facet: { field: options.field, type: "nominal", title: options.header === undefined ? options.field : options.header },
    columns: options.columns ?? 3,
    spec: inner,
  });
}
