/**
 * The shipped chart font (DejaVu Sans, regular and bold, in assets/fonts/,
 * Bitstream Vera licence) and its glyph metrics.
 *
 * Text width (px) = fontSize * sum(advanceWidth(glyph(c))) / unitsPerEm,
 * with advance widths from the TrueType `hmtx` table and the character to
 * glyph map from `cmap` (formats 4 and 12), as in the OpenType spec
 * (https://learn.microsoft.com/typography/opentype/spec/hmtx). Kerning is
 * ignored (DejaVu Sans kerns few pairs; the error is well under 1 %).
 *
 * Vega lays out labels and legends with `textMetrics.width`; without a
 * canvas in Node it guesses 0.8 x fontSize per character, so a chart drawn
 * by resvg would not match the browser. `installTextMetrics()` replaces that
 * estimate with these real widths.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { vega } from "./engines";

export const FONT_FAMILY = "DejaVu Sans";

/** Parsed metrics of one TrueType font. */
export interface FontMetrics {
  unitsPerEm: number;
  /** Advance width in font units per glyph id. */
  advances: Uint16Array;
  /** Unicode code point to glyph id. */
  cmap: Map<number, number>;
}

let fontDirCache: string | null = null;

/** assets/fonts, found by walking up from this module (works from src/ and dist/src/). */
export function fontDir(): string {
  if (fontDirCache) return fontDirCache;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "assets", "fonts");
    if (fs.existsSync(path.join(candidate, "DejaVuSans.ttf"))) {
      fontDirCache = candidate;
      return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`reglab charts: cannot find assets/fonts/DejaVuSans.ttf above ${__dirname}; is the package installed completely?`);
}

/** Paths of the shipped font files (regular, bold), for resvg's `fontFiles`. */
export function fontFiles(): string[] {
  const dir = fontDir();
  return [path.join(dir, "DejaVuSans.ttf"), path.join(dir, "DejaVuSans-Bold.ttf")];
}

function tableOffsets(buf: Buffer): Map<string, { offset: number; length: number }> {
  const numTables = buf.readUInt16BE(4);
  const tables = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString("latin1", rec, rec + 4), { offset: buf.readUInt32BE(rec + 8), length: buf.readUInt32BE(rec + 12) });
  }
  return tables;
}

function parseCmap(buf: Buffer, base: number): Map<number, number> {
  const n = buf.readUInt16BE(base + 2);
  let sub4 = -1;
  let sub12 = -1;
  for (let i = 0; i < n; i++) {
    const rec = base + 4 + 8 * i;
    const platform = buf.readUInt16BE(rec);
    const encoding = buf.readUInt16BE(rec + 2);
    const off = base + buf.readUInt32BE(rec + 4);
    const format = buf.readUInt16BE(off);
    if (format === 12 && (platform === 3 || platform === 0)) sub12 = off;
    if (format === 4 && ((platform === 3 && encoding === 1) || platform === 0)) sub4 = off;
  }
  const map = new Map<number, number>();
  if (sub12 >= 0) {
    const groups = buf.readUInt32BE(sub12 + 12);
    for (let g = 0; g < groups; g++) {
      const rec = sub12 + 16 + 12 * g;
      const start = buf.readUInt32BE(rec);
      const end = buf.readUInt32BE(rec + 4);
      const glyph = buf.readUInt32BE(rec + 8);
      for (let c = start; c <= end; c++) map.set(c, glyph + (c - start));
    }
    return map;
  }
  if (sub4 < 0) throw new Error("font has no Unicode cmap (format 4 or 12)");
  const segX2 = buf.readUInt16BE(sub4 + 6);
  const ends = sub4 + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const rangeOffsets = deltas + segX2;
  for (let s = 0; s < segX2 / 2; s++) {
    const end = buf.readUInt16BE(ends + 2 * s);
    const start = buf.readUInt16BE(starts + 2 * s);
    const delta = buf.readInt16BE(deltas + 2 * s);
    const roAddr = rangeOffsets + 2 * s;
    const ro = buf.readUInt16BE(roAddr);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (ro === 0) glyph = (c + delta) & 0xffff;
      else {
        const g = buf.readUInt16BE(roAddr + ro + 2 * (c - start));
        glyph = g === 0 ? 0 : (g + delta) & 0xffff;
      }
      if (glyph !== 0) map.set(c, glyph);
    }
  }
  return map;
}

/** Parse head/hhea/maxp/hmtx/cmap of a TrueType file. */
export function parseFontMetrics(file: string): FontMetrics {
  const buf = fs.readFileSync(file);
  const t = tableOffsets(buf);
  const need = (tag: string) => {
    const e = t.get(tag);
    if (!e) throw new Error(`font ${file} has no '${tag}' table`);
    return e.offset;
  };
  const unitsPerEm = buf.readUInt16BE(need("head") + 18);
  const numHMetrics = buf.readUInt16BE(need("hhea") + 34);
  const numGlyphs = buf.readUInt16BE(need("maxp") + 4);
  const hmtx = need("hmtx");
  const advances = new Uint16Array(numGlyphs);
  let last = 0;
  for (let g = 0; g < numGlyphs; g++) {
    if (g < numHMetrics) last = buf.readUInt16BE(hmtx + 4 * g);
    advances[g] = last; // glyphs past numHMetrics repeat the last advance
  }
  return { unitsPerEm, advances, cmap: parseCmap(buf, need("cmap")) };
}

let regular: FontMetrics | null = null;
let bold: FontMetrics | null = null;

/** Metrics of the shipped font, parsed once. */
export function shippedMetrics(isBold = false): FontMetrics {
  if (isBold) return (bold ??= parseFontMetrics(fontFiles()[1]));
  return (regular ??= parseFontMetrics(fontFiles()[0]));
}

/** Width in px of `text` set in `metrics` at `fontSize` px (no kerning). */
export function measureText(text: string, fontSize: number, metrics: FontMetrics = shippedMetrics()): number {
  let units = 0;
  for (const ch of text) {
    const glyph = metrics.cmap.get(ch.codePointAt(0) ?? 0) ?? 0;
    units += metrics.advances[glyph] ?? 0;
  }
  return (units * fontSize) / metrics.unitsPerEm;
}

/** `text` cut to fit `maxWidth` px (with "…"), measured with the shipped font. */
export function truncateText(text: string, maxWidth: number, fontSize: number, metrics: FontMetrics = shippedMetrics()): string {
  if (measureText(text, fontSize, metrics) <= maxWidth) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measureText(chars.slice(0, mid).join("") + "…", fontSize, metrics) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("").trimEnd() + "…";
}

/** Vega's text item (the fields textMetrics.width reads). */
interface VegaTextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

function isBoldWeight(w: string | number | undefined): boolean {
  if (w === undefined) return false;
  if (typeof w === "number") return w >= 600;
  return w === "bold" || w === "bolder" || Number(w) >= 600;
}

/** Text width of a Vega text item with the shipped font. */
export function vegaTextWidth(item: VegaTextItem, text?: unknown): number {
  const raw = text ?? item.text;
  const s = raw == null ? "" : Array.isArray(raw) ? raw.map(String).reduce((a, b) => (a.length > b.length ? a : b), "") : String(raw);
  const size = item.fontSize ?? 11;
  return measureText(s, size, shippedMetrics(isBoldWeight(item.fontWeight)));
}

let installed = false;

/**
 * Make Vega measure text with the shipped font's real glyph widths. Vega
 * keeps `textMetrics` as a shared mutable object (vega-scenegraph), so the
 * replacement applies to every View created afterwards.
 */
export function installTextMetrics(): void {
  if (installed) return;
  vega().textMetrics.width = vegaTextWidth;
  installed = true;
}
