/**
 * `Chart`: a vega-lite spec that displays itself everywhere.
 *
 * Its MIME bundle (`[Symbol.for("Jupyter.display")]()`) is
 *   application/vnd.vegalite.v5+json  the themed spec (data inline, fixed size)
 *   image/png                         base64 PNG at theme.pngScale (2x) density
 *   text/plain                        "<Chart: title, W×H>"
 * with metadata {"image/png": {width: W, height: H}} in logical pixels
 * (W×H = the whole rendered image, axes and legends included). SVG is
 * opt-in (`bundle({svg: true})`). If the PNG fails, the spec and text
 * still go out and a one-line warning is printed.
 *
 * The spec is checked and compiled when the chart is made, so an invalid
 * spec throws right away, naming the wrong value (or quoting vega-lite's
 * own message), with no chart-internal stack frames.
 */
import { publish, JUPYTER_DISPLAY, type MimeBundle } from "../display/transport";
import { compileSpec, specError, vegaToSVG, svgToPNG, type VegaLiteSpec } from "./render";
import { getTheme, themeConfig, type ChartTheme } from "./theme";

export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface ChartBundle {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface BundleOptions {
  /** Also include image/svg+xml (off by default: it outranks the PNG in some front ends). */
  svg?: boolean;
  /** Leave out the PNG (e.g. for speed). */
  png?: boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Theme config under the spec's own config (the spec wins, one level deep). */
function mergeConfig(base: Record<string, unknown>, own: unknown): Record<string, unknown> {
  if (!isPlainObject(own)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(own)) {
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? { ...(base[k] as Record<string, unknown>), ...v } : v;
  }
  return out;
}

/** The spec with $schema, theme config and default size for single/layered views. */
export function applyTheme(spec: VegaLiteSpec, theme: ChartTheme = getTheme()): VegaLiteSpec {
  if (!isPlainObject(spec))
    throw specError(
      `chart: expected a vega-lite spec object, got ${Array.isArray(spec) ? "an array" : spec === null ? "null" : typeof spec}`,
    );
  const out: VegaLiteSpec = { $schema: SCHEMA, ...spec };
  const single = "mark" in spec || "layer" in spec;
  if (single) {
    if (out.width === undefined) out.width = theme.width;
    if (out.height === undefined) out.height = theme.height;
  }
  const base = themeConfig(theme);
  base.view = { ...(base.view as Record<string, unknown>), continuousWidth: theme.width, continuousHeight: theme.height };
  out.config = mergeConfig(base, spec.config);
  return out;
}

function titleText(spec: VegaLiteSpec): string {
  const t = spec.title;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join(" ");
  if (isPlainObject(t)) {
    const text = t.text;
    return Array.isArray(text) ? text.join(" ") : String(text ?? "");
  }
  return "";
}

export class Chart {
  /** The full vega-lite spec sent to the front end (themed, data inline). */
  readonly spec: VegaLiteSpec;
  /** The spec as given, before the theme (what `layer`/`facet`/`hconcat` compose). */
  readonly source: VegaLiteSpec;
  /** Compiled vega spec. */
  readonly vegaSpec: Record<string, unknown>;
  /** vega-lite and vega warnings (collected, not printed). */
  readonly warnings: string[];
  private readonly scale: number;
  private rendered: { svg: string; width: number; height: number } | null = null;
  private pngCache: Buffer | null = null;

  constructor(spec: VegaLiteSpec, theme: ChartTheme = getTheme()) {
    this.source = spec;
    this.spec = applyTheme(spec, theme);
    this.scale = theme.pngScale;
    const compiled = compileSpec(this.spec);
    this.vegaSpec = compiled.vega;
    this.warnings = compiled.warnings;
  }

  get title(): string {
    return titleText(this.spec);
  }

  /** Rendered size in logical pixels (whole image). */
  size(): { width: number; height: number } {
    const r = this.render();
    return { width: r.width, height: r.height };
  }

  private render(): { svg: string; width: number; height: number } {
    // vega tags data objects with symbol ids; render from a copy so `spec` stays plain JSON.
    this.rendered ??= vegaToSVG(structuredClone(this.vegaSpec), this.warnings);
    return this.rendered;
  }

  /** SVG string (fonts are referenced by name; vega cannot embed them). */
  toSVG(): string {
    return this.render().svg;
  }

  /** PNG at the theme's density (2x by default), or at `scale`. */
  toPNG(scale: number = this.scale): Buffer {
    if (scale === this.scale && this.pngCache) return this.pngCache;
    const { png } = svgToPNG(this.toSVG(), scale);
    if (scale === this.scale) this.pngCache = png;
    return png;
  }

  /** Base64 PNG, or null (with a one-line warning) if rendering fails. */
  pngBase64OrNull(): string | null {
    try {
      return this.toPNG().toString("base64");
    } catch (err) {
      console.warn(
        `reglab chart: PNG rendering failed (${err instanceof Error ? err.message : String(err)}); showing the interactive chart only`,
      );
      return null;
    }
  }

  /** The MIME bundle and metadata. */
  bundle(options: BundleOptions = {}): ChartBundle {
    const data: MimeBundle = { [VEGALITE_MIME]: this.spec };
    const metadata: Record<string, unknown> = {};
    let size: { width: number; height: number } | null = null;
    if (options.png !== false) {
      const png = this.pngBase64OrNull();
      if (png !== null) {
        size = this.size();
        data["image/png"] = png;
        metadata["image/png"] = { width: size.width, height: size.height };
      }
    }
    if (options.svg) {
      try {
        data["image/svg+xml"] = this.toSVG();
        size ??= this.size();
      } catch (err) {
        console.warn(`reglab chart: SVG rendering failed (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    data["text/plain"] = this.describe(size);
    return { data, metadata };
  }

  private describe(size: { width: number; height: number } | null): string {
    const name = this.title || "untitled";
    if (!size) {
      const w = this.spec.width;
      const h = this.spec.height;
      return typeof w === "number" && typeof h === "number" ? `<Chart: ${name}, ${w}×${h}>` : `<Chart: ${name}>`;
    }
    return `<Chart: ${name}, ${Math.round(size.width)}×${Math.round(size.height)}>`;
  }

  /** Deno-style rich display hook used by the kernel. */
  [JUPYTER_DISPLAY](): ChartBundle {
    return this.bundle();
  }

  /** Show in the notebook now (or print the text summary outside a kernel). */
  show(options: BundleOptions = {}): void {
    publish(this.bundle(options), false);
  }

  toString(): string {
    return this.describe(null);
  }

  toJSON(): VegaLiteSpec {
    return this.spec;
  }
}

/** Wrap a vega-lite spec (validated now: throws with vega-lite's message). */
export function chart(spec: VegaLiteSpec | Chart): Chart {
  return spec instanceof Chart ? spec : new Chart(spec);
}

/**
 * Display a spec or a chart now. Returns nothing (like IPython's display), so
 * `show(c)` as a cell's last line does not draw the chart a second time as Out[n].
 */
export function show(spec: VegaLiteSpec | Chart, options: BundleOptions = {}): void {
  chart(spec).show(options);
}
