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
 */
import { Resvg } from "@resvg/resvg-js";
import { fontFiles, installTextMetrics, FONT_FAMILY } from "./font";
import { resolveInlineImages } from "./raster";

/** A vega-lite (v5) spec; kept loose because specs are plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** Minimal surface of vega we use (its own typings are not loaded under node10 resolution). */
interface VegaView {
  run(): VegaView;
  padding(): { left: number; right: number; top: number; bottom: number };
  background(): string;
  loader(): unknown;
  scenegraph(): { root: unknown };
  finalize(): void;
  _origin: [number, number];
  _viewWidth: number;
  _viewHeight: number;
  _pending?: unknown;
}
interface VegaModule {
  parse(spec: unknown, config?: unknown, opt?: unknown): unknown;
  View: new (runtime: unknown, opt: Record<string, unknown>) => VegaView;
  SVGStringRenderer: new (loader: unknown) => {
    initialize(el: null, w: number, h: number, origin: [number, number], scale: number): {
      background(bg: string): { render(root: unknown): { svg(): string } };
    };
  };
}
interface VegaLiteModule {
  compile(spec: unknown, opt?: { logger?: unknown; config?: unknown }): { spec: Record<string, unknown> };
  version: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const vega = require("vega") as VegaModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const defaultVegaLite = require("vega-lite") as VegaLiteModule;

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

export interface Compiled {
  vega: Record<string, unknown>;
  warnings: string[];
}

/**
 * Compile a vega-lite spec. Errors name vega-lite's own message; warnings
 * are returned. `vl` lets tests compile with another vega-lite version.
 */
export function compileSpec(spec: VegaLiteSpec, vl: VegaLiteModule = defaultVegaLite): Compiled {
  const warnings: string[] = [];
  try {
    const out = vl.compile(spec, { logger: collectingLogger(warnings) });
    return { vega: out.spec, warnings };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`Invalid vega-lite spec (vega-lite ${vl.version}): ${msg}`);
  }
}

/** Render a compiled vega spec to an SVG string, synchronously. */
export function vegaToSVG(vegaSpec: Record<string, unknown>, warnings: string[] = []): { svg: string; width: number; height: number } {
  installTextMetrics();
  const view = new vega.View(vega.parse(vegaSpec), { renderer: "none", logger: collectingLogger(warnings) });
  try {
    view.run();
    if (view._pending) {
      throw new Error("the chart loads data asynchronously (a data url?); inline the data (data: {values: [...]}) to render it as an image");
    }
    resolveInlineImages(view.scenegraph().root as Parameters<typeof resolveInlineImages>[0]);
    const p = view.padding();
    const o = view._origin;
    const width = Math.max(0, view._viewWidth + p.left + p.right);
    const height = Math.max(0, view._viewHeight + p.top + p.bottom);
    const svg = new vega.SVGStringRenderer(view.loader())
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
  const resvg = new Resvg(svg, {
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
  });
  const image = resvg.render();
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
