/**
 * Server-side rendering of vega-lite specs, synchronously:
 * vega-lite compile -> vega View (renderer "none") -> SVG string ->
 * @resvg/resvg-js PNG at `scale` x density with the shipped font only.
 *
 * Synchronous because a kernel asks an object for its MIME bundle with a
 * plain call (`[Symbol.for("Jupyter.display")]()`). `view.run()` evaluates
 * inline data synchronously; we then draw the scenegraph with
 * `SVGStringRenderer` exactly as `view.toSVG()` does (same output, checked
 * in tests). Specs that load remote data cannot render synchronously and
 * fail with a clear message.
 *
 * Warnings from vega-lite and vega are collected, never printed.
 *
 * Errors: vega-lite 5 crashes with a bare TypeError ("Cannot read
 * properties of undefined (reading 'filled')") on some common mistakes
 * instead of reporting them, so `validateSpec` checks those first (mark
 * names, encoding types, path/rule/composite marks without an encoding,
 * field encodings without data) and says which value is wrong and what is
 * allowed. Errors vega-lite reports itself are quoted as they are. Thrown
 * errors carry no stack frames from the chart code (the user's frames stay).
 */
import path from "path";
import { resvg, vega, vegaLite, type VegaLiteModule } from "./engines";
import { fontFiles, installTextMetrics, FONT_FAMILY } from "./font";
import { resolveInlineImages } from "./raster";
import { damerauDistance } from "../text/edit-distance";

/** A vega-lite (v5) spec; kept loose because specs are plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** A logger in vega-util's shape that keeps messages instead of printing them. */
export function collectingLogger(sink: string[]): Record<string, unknown> {
  let lvl = 2; // vega.Warn
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error(...args: unknown[]) {
      sink.push(args.map(String).join(" "));
      return logger;
    },
    warn(...args: unknown[]) {
      sink.push(args.map(String).join(" "));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

// ---- spec validation (before vega-lite sees the spec) ----

/** vega-lite 5's primitive marks (`Mark` in vega-lite/src/mark.ts; its build/src is ESM and cannot be required). */
export const VEGALITE_MARKS = [
  "arc",
  "area",
  "bar",
  "image",
  "line",
  "point",
  "rect",
  "rule",
  "text",
  "tick",
  "trail",
  "circle",
  "square",
  "geoshape",
] as const;
/** vega-lite 5's built-in composite marks (vega-lite/src/compositemark). */
export const VEGALITE_COMPOSITE_MARKS = ["boxplot", "errorbar", "errorband"] as const;
/** Encoding field types (vega-lite/src/type.ts); vega-lite also accepts any case and the one-letter q/t/o/n. */
export const VEGALITE_TYPES = ["quantitative", "temporal", "ordinal", "nominal", "geojson"] as const;
const TYPE_SHORTHANDS = new Set(["q", "t", "o", "n"]);
/** Marks vega-lite 5.23 crashes on (TypeError) when the unit has no `encoding` object at all. */
const NEEDS_ENCODING = new Set(["line", "area", "trail", "rule", ...VEGALITE_COMPOSITE_MARKS]);

/** The closest allowed name (prefix, or within ~1 edit per 3 letters), or null. */
function closest(word: string, allowed: readonly string[]): string | null {
  const w = word.toLowerCase();
  if (w.length >= 2) {
    const prefixed = allowed.find((a) => a.startsWith(w));
    if (prefixed) return prefixed;
  }
  let best: string | null = null;
  let bestD = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const a of allowed) {
    const dist = damerauDistance(w, a);
    if (dist < bestD) {
      bestD = dist;
      best = a;
    }
  }
  return best;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function quote(v: unknown): string {
  return typeof v === "string" ? `'${v}'` : (JSON.stringify(v) ?? String(v));
}

/** Field definitions in one channel's value: a def, an array of defs (tooltip, detail), and their conditions. */
function channelDefs(v: unknown, path: string): Array<{ def: Record<string, unknown>; path: string }> {
  if (Array.isArray(v)) return v.flatMap((x, i) => channelDefs(x, `${path}[${i}]`));
  if (!isRecord(v)) return [];
  const out = [{ def: v, path }];
  if (v.condition !== undefined) out.push(...channelDefs(v.condition, `${path}.condition`));
  return out;
}

function checkMark(mark: unknown, path: string, problems: string[]): string | null {
  const name = isRecord(mark) ? mark.type : mark;
  const where = isRecord(mark) ? `${path}.type` : path;
  const all: readonly string[] = [...VEGALITE_MARKS, ...VEGALITE_COMPOSITE_MARKS];
  if (typeof name !== "string") {
    problems.push(
      `${where} must be a mark name such as 'point' or an object {type: 'point', ...}, got ${quote(name)}. Marks: ${all.join(", ")}`,
    );
    return null;
  }
  if (!all.includes(name)) {
    const near = closest(name, all);
    problems.push(`${where} '${name}' is not a vega-lite mark${near ? `; did you mean '${near}'?` : "."} Marks: ${all.join(", ")}`);
    return null;
  }
  return name;
}

function checkEncoding(encoding: unknown, path: string, problems: string[]): boolean {
  if (encoding === undefined) return false;
  if (!isRecord(encoding)) {
    problems.push(`${path} must be an object such as {x: {field: 'a', type: 'quantitative'}}, got ${quote(encoding)}`);
    return false;
  }
  let usesField = false;
  for (const [channel, value] of Object.entries(encoding)) {
    for (const { def, path: p } of channelDefs(value, `${path}.${channel}`)) {
      if (def.field !== undefined) usesField = true;
      const t = def.type;
      if (t === undefined) continue;
      if (
        typeof t === "string" &&
        ((VEGALITE_TYPES as readonly string[]).includes(t.toLowerCase()) || TYPE_SHORTHANDS.has(t.toLowerCase()))
      )
        continue;
      const near = typeof t === "string" ? closest(t, VEGALITE_TYPES) : null;
      problems.push(
        `${p}.type ${quote(t)} is not a vega-lite type${near ? `; did you mean '${near}'?` : "."} Types: ${VEGALITE_TYPES.join(", ")}`,
      );
    }
  }
  return usesField;
}

interface Inherited {
  data: boolean;
  /** An encoding from an enclosing layer spec (layers share it; concatenations and facets do not pass it down). */
  encoding: boolean;
}

function walk(spec: unknown, path: string, inh: Inherited, problems: string[]): void {
  if (!isRecord(spec)) {
    problems.push(`${path || "the spec"} must be an object (a vega-lite view), got ${Array.isArray(spec) ? "an array" : quote(spec)}`);
    return;
  }
  const at = (k: string) => (path ? `${path}.${k}` : k);
  const hasData = inh.data || (spec.data !== undefined && spec.data !== null);
  const usesField = checkEncoding(spec.encoding, at("encoding"), problems);
  const hasEncoding = inh.encoding || isRecord(spec.encoding);
  if (spec.mark !== undefined) {
    const mark = checkMark(spec.mark, at("mark"), problems);
    if (mark && !hasEncoding && NEEDS_ENCODING.has(mark)) {
      problems.push(
        `mark '${mark}'${path ? ` at ${path}` : ""} needs an encoding that says what goes on x and y, e.g. ` +
          `encoding: {x: {field: 'epoch', type: 'quantitative'}, y: {field: 'loss', type: 'quantitative'}}` +
          (hasData ? "" : `, and data: {values: [...rows]}`),
      );
    } else if (usesField && !hasData) {
      problems.push(
        `${path || "the chart"} encodes fields but has no data:` +
        ` add data: {values: [...rows]} (at the top level or in ${path ? "this view" : "each layer"})`,
      );
    }
    return;
  }
  const child: Inherited = { data: hasData, encoding: false };
  if (Array.isArray(spec.layer))
    spec.layer.forEach((s, i) => walk(s, at(`layer[${i}]`), { data: hasData, encoding: hasEncoding }, problems));
  for (const k of ["hconcat", "vconcat", "concat"]) {
    const parts = spec[k];
    if (Array.isArray(parts)) parts.forEach((s, i) => walk(s, at(`${k}[${i}]`), child, problems));
  }
  if (spec.spec !== undefined && (spec.facet !== undefined || spec.repeat !== undefined)) walk(spec.spec, at("spec"), child, problems);
}

/**
 * Problems vega-lite would crash on (or silently draw nothing for), one
 * sentence each, with what is allowed; [] when none are found. Only
 * checks what vega-lite does not report well itself.
 */
export function validateSpec(spec: VegaLiteSpec): string[] {
  const problems: string[] = [];
  walk(spec, "", { data: false, encoding: false }, problems);
  return problems;
}

/** Stack frames from this folder (the chart code) or from vega / vega-lite. */
function isChartFrame(frame: string): boolean {
  return frame.includes(__dirname + path.sep) || /[\\/]node_modules[\\/]vega(-[a-z]+)?[\\/]/.test(frame);
}

/**
 * An Error for a bad chart spec whose stack has no frames from the chart
 * code or vega (only the caller's), so a notebook shows the message and the
 * user's own line.
 */
export function specError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50; // the chart's own frames would otherwise crowd out the caller's
  const err = new Error(message);
  Error.stackTraceLimit = limit;
  const frames = (err.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l) && !isChartFrame(l));
  err.stack = [`Error: ${message}`, ...frames.slice(0, limit)].join("\n");
  return err;
}

export interface Compiled {
  vega: Record<string, unknown>;
  warnings: string[];
}

/**
 * Compile a vega-lite spec (checked by `validateSpec` first). Errors name
 * vega-lite's own message; warnings are returned. `vl` lets tests compile with another vega-lite version.
 */
export function compileSpec(spec: VegaLiteSpec, vl: VegaLiteModule = vegaLite()): Compiled {
  const warnings: string[] = [];
  const problems = validateSpec(spec);
  if (problems.length) {
    throw specError(
      problems.length === 1 ? `Invalid vega-lite spec: ${problems[0]}` : `Invalid vega-lite spec:\n- ${problems.join("\n- ")}`,
    );
  }
  try {
    const out = vl.compile(spec, { logger: collectingLogger(warnings) });
    return { vega: out.spec, warnings };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // A TypeError is vega-lite tripping over the spec, not a message written for the user.
    const hint = err instanceof TypeError ? " (vega-lite failed inside; check the mark, each encoding's field and type, and the data)" : "";
    throw specError(`Invalid vega-lite spec (vega-lite ${vl.version}): ${msg}${hint}`);
  }
}

/** Render a compiled vega spec to an SVG string, synchronously. */
export function vegaToSVG(vegaSpec: Record<string, unknown>, warnings: string[] = []): { svg: string; width: number; height: number } {
  installTextMetrics();
  const vg = vega();
  const view = new vg.View(vg.parse(vegaSpec), { renderer: "none", logger: collectingLogger(warnings) });
  try {
    view.run();
    if (view._pending) {
      throw new Error(
        "the chart loads data asynchronously (a data url?); inline the data (data: {values: [...]}) to render it as an image",
      );
    }
    resolveInlineImages(view.scenegraph().root as Parameters<typeof resolveInlineImages>[0]);
    const p = view.padding();
    const o = view._origin;
    const width = Math.max(0, view._viewWidth + p.left + p.right);
    const height = Math.max(0, view._viewHeight + p.top + p.bottom);
    const svg = new vg.SVGStringRenderer(view.loader())
      .initialize(null, width, height, [p.left + o[0], p.top + o[1]], 1)
      .background(view.background())
      .render(view.scenegraph().root)
      .svg();
    return { svg, width, height };
  } finally {
    view.finalize();
  }
}

/** PNG of an SVG at `scale` device pixels per SVG pixel, with the shipped font only. */
export function svgToPNG(svg: string, scale = 2): { png: Buffer; width: number; height: number } {
  const Resvg = resvg();
  const image = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontFiles: fontFiles(),
      loadSystemFonts: false, // identical PNG on every machine
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
      serifFamily: FONT_FAMILY,
      monospaceFamily: FONT_FAMILY,
    },
    shapeRendering: 2, // geometricPrecision (anti-aliased)
    textRendering: 1, // optimizeLegibility
  }).render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

/** Width and height in pixels from a PNG's IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new Error("not a PNG (bad signature)");
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(png[12], png[13], png[14], png[15]) !== "IHDR") throw new Error("not a PNG (first chunk is not IHDR)");
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
