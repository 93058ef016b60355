/**
 * The chart engines — vega, vega-lite and resvg — loaded on the first chart,
 * not when reglab is imported: together they cost about 20 MB and 230 ms,
 * which a kernel that never draws should not pay (bench `--only=memory`).
 * Plain `require` without a catch: a missing or broken engine is an error at
 * the chart that needs it, with the engine's own message.
 */
import type { Resvg } from "@resvg/resvg-js";

/** Minimal surface of vega we use (its own typings are not loaded under node10 resolution). */
export interface VegaView {
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

export interface VegaModule {
  parse(spec: unknown, config?: unknown, opt?: unknown): unknown;
  View: new (runtime: unknown, opt: Record<string, unknown>) => VegaView;
  SVGStringRenderer: new (loader: unknown) => {
    initialize(
      el: null,
      w: number,
      h: number,
      origin: [number, number],
      scale: number,
    ): {
      background(bg: string): { render(root: unknown): { svg(): string } };
    };
  };
  scheme(name: string): ((t: number) => string) | undefined;
  /** vega-scenegraph's shared text measurer (font.ts replaces `width`). */
  textMetrics: { width: unknown; estimateWidth: unknown };
}

export interface VegaLiteModule {
  compile(spec: unknown, opt?: { logger?: unknown; config?: unknown }): { spec: Record<string, unknown> };
  version: string;
}

let vegaModule: VegaModule | undefined;
let vegaLiteModule: VegaLiteModule | undefined;
let resvgClass: typeof Resvg | undefined;

export function vega(): VegaModule {
  vegaModule ??= require("vega") as VegaModule;
  return vegaModule;
}

export function vegaLite(): VegaLiteModule {
  vegaLiteModule ??= require("vega-lite") as VegaLiteModule;
  return vegaLiteModule;
}

export function resvg(): typeof Resvg {
  resvgClass ??= (require("@resvg/resvg-js") as typeof import("@resvg/resvg-js")).Resvg;
  return resvgClass;
}
