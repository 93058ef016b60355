import { test } from "node:test";
import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import {
  chart, Chart, applyTheme, VEGALITE_MIME, measureText, fontFiles, getTheme, setTheme, resetTheme, learningCurves
} from "../../../src/charts";
import { JUPYTER_DISPLAY, DISPLAY_SINK, type DisplayContent } from "../../../src/display/transport";
import { vegaToSVG } from "../../../src/charts/render";

/** PNG size read straight from the bytes: 8-byte signature, then the IHDR chunk (length, "IHDR", width, height). */
function ihdr(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  assert.equal(png.subarray(12, 16).toString("latin1"), "IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const simple = {
  title: "Simple",
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] },
  mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
};

test("a chart's display bundle has the spec, a 2x PNG, text and logical-pixel metadata", () => {
  const c = chart(simple);
  const b = c[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(b.data).sort(), [VEGALITE_MIME, "image/png", "text/plain"].sort());
  const spec = b.data[VEGALITE_MIME] as Record<string, unknown>;
  assert.equal(spec.width, getTheme().width);
  assert.equal(spec.height, getTheme().height);
  assert.deepEqual((spec.data as { values: unknown[] }).values, simple.data.values, "data inlined");
  const meta = b.metadata["image/png"] as { width: number; height: number };
  const size = ihdr(Buffer.from(b.data["image/png"] as string, "base64"));
  assert.equal(size.width, 2 * meta.width);
  assert.equal(size.height, 2 * meta.height);
  assert.ok(meta.width > getTheme().width, "whole image includes axes");
  assert.equal(b.data["text/plain"], `<Chart: Simple, ${meta.width}×${meta.height}>`);
});

test("the synchronous SVG equals vega's own async view.toSVG()", async () => {
  const vega = require("vega") as { View: new (r: unknown, o: unknown) => { toSVG(): Promise<string> }; parse(s: unknown): unknown };
  const c = learningCurves({ loss: [1, 0.6, 0.4, 0.35], val_loss: [1.1, 0.8, 0.7, 0.72] }, { earlyStopping: 3 });
  const expected = await new vega.View(vega.parse(c.vegaSpec), { renderer: "none" }).toSVG();
  assert.equal(vegaToSVG(c.vegaSpec).svg, expected);
});

test("an invalid spec throws with vega-lite's own message, and warnings are collected, not printed", () => {
  const vl = require("vega-lite") as { compile(s: unknown, o?: unknown): unknown };
  const bad = { data: { values: [{ x: 1 }] }, encoding: { x: { field: "x", type: "quantitative" } } }; // no mark
  let vlMessage = "";
  try {
    vl.compile(applyTheme(bad), { logger: { level: () => 0, warn: () => 0, info: () => 0, debug: () => 0, error: () => 0 } });
  } catch (e) {
    vlMessage = (e as Error).message;
  }
  assert.ok(vlMessage.length > 0, "vega-lite itself rejects the spec");
  assert.throws(() => chart(bad), (e: Error) => e.message.includes(vlMessage) && e.message.startsWith("Invalid vega-lite spec"));

  const printed: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void printed.push(a.join(" "));
  try {
    // An unknown channel type makes vega-lite warn.
    const c = chart({ data: { values: [{ a: 1 }] }, mark: "point", encoding: {
      x: { field: "a", type: "quantitative" }, size: { field: "a", type: "quantitative" }, shape: { field: "a", type: "quantitative" }
    } });
    c.bundle();
    assert.ok(c.warnings.length > 0, "warning collected");
  } finally {
    console.warn = orig;
  }
  assert.deepEqual(printed, []);
});

test("if the PNG step fails, the spec and text still go out with one warning line", () => {
  const c = new Chart({
    data: { url: "https://example.invalid/data.csv" }, mark: "point", encoding: { x: { field: "a", type: "quantitative" } }
  });
  const printed: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void printed.push(a.join(" "));
  let b;
  try {
    b = c.bundle();
  } finally {
    console.warn = orig;
  }
  assert.ok(b.data[VEGALITE_MIME]);
  assert.equal(typeof b.data["text/plain"], "string");
  assert.equal(b.data["image/png"], undefined);
  assert.equal(printed.length, 1);
  assert.match(printed[0], /PNG rendering failed/);
});

test("SVG is opt-in", () => {
  const c = chart(simple);
  assert.equal(c.bundle().data["image/svg+xml"], undefined);
  assert.match(String(c.bundle({ svg: true }).data["image/svg+xml"]), /^<svg/);
});

test("text width uses the shipped font's glyph advances (checked against resvg's own text shaping)", () => {
  const size = 20;
  const inkWidth = (text: string) => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="60">` +
      `<text x="10" y="40" font-size="${size}" font-family="DejaVu Sans">${text}</text></svg>`;
    const r = new Resvg(svg, { font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" } });
    return r.getBBox()!.width;
  };
  // The H's at both ends have the same side bearings in both strings, so the difference is the advance of s.
  for (const s of ["Learning curves", "validation loss 0.1234", "epoch"]) {
    const resvgAdvance = inkWidth(`H${s}H`) - inkWidth("HH");
    const ours = measureText(s, size);
    assert.ok(Math.abs(ours - resvgAdvance) / resvgAdvance < 0.01, `${s}: ours ${ours} vs resvg ${resvgAdvance}`);
  }
  // vega's default estimate would be 0.8 * size * chars; make sure we are not using it.
  assert.notEqual(Math.round(measureText("iiii", size)), Math.round(0.8 * size * 4));
});

test("the theme is set once per notebook and applies to later charts; labels are at least 14 px", () => {
  try {
    const cfg = chart(simple).spec.config as { axis: { labelFontSize: number }; legend: { labelFontSize: number } };
    assert.ok(cfg.axis.labelFontSize >= 14 && cfg.legend.labelFontSize >= 14);
    setTheme({ width: 400, height: 300 });
    const c = chart(simple);
    assert.equal(c.spec.width, 400);
    assert.equal(c.spec.height, 300);
    assert.throws(() => setTheme({ widht: 3 } as never), /unknown option 'widht'/);
  } finally {
    resetTheme();
  }
});

test("show() publishes the bundle through the display sink", () => {
  const g = globalThis as Record<symbol, unknown>;
  const got: Array<[DisplayContent, boolean]> = [];
  g[DISPLAY_SINK] = (c: DisplayContent, u: boolean) => void got.push([c, u]);
  try {
    chart(simple).show();
  } finally {
    delete g[DISPLAY_SINK];
  }
  assert.equal(got.length, 1);
  assert.equal(got[0][1], false);
  assert.ok(got[0][0].data[VEGALITE_MIME] && got[0][0].data["image/png"]);
});
