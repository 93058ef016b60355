/**
 * Comparing a cell's committed outputs with a fresh run's, for `reglab check`.
 *
 * Each output becomes lines of text after sanitizing (sanitize.ts):
 * - streams: adjacent chunks of one stream are one text (front ends and
 *   kernels split them at different places); a stream left empty by the
 *   sanitizers is dropped;
 * - errors: name, message and traceback (ANSI colours removed);
 * - rich outputs, per MIME type: vega / vega-lite specs as canonical JSON
 *   (keys sorted, so spec and data are compared, one data row per line);
 *   the `image/png` next to a spec is derived from it and is not compared;
 *   other PNGs by decoded pixels (png.ts) within {@link PIXEL_TOLERANCE};
 *   other images by their bytes; JSON types as canonical JSON; text types
 *   as text. Output metadata is compared as JSON, except the derived PNG's.
 * Execution counts are not compared.
 */
import type { NbOutput } from "./outputs";
import { ANSI } from "./execute";
import { PngError, decodePng, pixelDiff } from "./png";
import { Sanitizer, sanitize, sanitizeJson } from "./sanitize";
import { unifiedDiff } from "./diff";

/**
 * Two PNGs match when they have the same size and at most `maxFraction` of
 * their pixels differ by more than `channel` (of 255) in some channel:
 * anti-aliasing and font hinting move a few edge pixels, a changed curve
 * moves many.
 */
export const PIXEL_TOLERANCE = { channel: 16, maxFraction: 0.005 } as const;

const SPEC_MIME = /^application\/vnd\.vega(lite)?\.v\d+\+json$/;
const JSON_MIME = /(^application\/json$)|\+json$/;

/**
 * JSON with sorted keys; objects and arrays that fit in `width` characters
 * stay on one line, except arrays of objects (data rows): one row per line.
 */
export function canonicalJson(v: unknown, indent = "", width = 100): string[] {
  const flat = JSON.stringify(sortKeys(v));
  if (flat === undefined) return [`${indent}undefined`];
  if ((flat.length + indent.length <= width && !hasRows(v)) || v === null || typeof v !== "object") return [indent + flat];
  const inner = indent + "  ";
  const lines: string[] = [];
  if (Array.isArray(v)) {
    lines.push(indent + "[");
    v.forEach((x, i) => {
      const sub = canonicalJson(x, inner, width);
      if (i < v.length - 1) sub[sub.length - 1] += ",";
      lines.push(...sub);
    });
    lines.push(indent + "]");
    return lines;
  }
  const keys = Object.keys(v).sort();
  lines.push(indent + "{");
  keys.forEach((k, i) => {
    const sub = canonicalJson((v as Record<string, unknown>)[k], inner, width);
    sub[0] = `${inner}${JSON.stringify(k)}: ${sub[0].slice(inner.length)}`;
    if (i < keys.length - 1) sub[sub.length - 1] += ",";
    lines.push(...sub);
  });
  lines.push(indent + "}");
  return lines;
}

/** Holds an array of several objects somewhere (data rows, shown one per line). */
function hasRows(v: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return (v.length > 1 && v.some((x) => x !== null && typeof x === "object")) || v.some(hasRows);
  return Object.values(v).some(hasRows);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

const textLines = (t: string): string[] => t.replace(/\n$/, "").split("\n");

/** A PNG that needs a pixel comparison: where its placeholder line is, and its base64. */
interface Picture {
  key: string;
  base64: string;
}

interface Rendered {
  lines: string[];
  pictures: Picture[];
}

/** Sanitized text lines for a cell's outputs (see the header). */
export function renderOutputs(outputs: readonly NbOutput[], rules: readonly Sanitizer[]): Rendered {
  const lines: string[] = [];
  const pictures: Picture[] = [];
  let stream: { name: string; text: string } | null = null;
  const flush = () => {
    if (!stream) return;
    const t = sanitize(stream.text, rules);
    if (t !== "") lines.push(`[${stream.name}]`, ...textLines(t));
    stream = null;
  };
  outputs.forEach((o) => {
    if (o.output_type === "stream") {
      if (stream && stream.name === o.name) stream.text += o.text;
      else {
        flush();
        stream = { name: o.name, text: o.text };
      }
      return;
    }
    flush();
    if (o.output_type === "error") {
      lines.push(`[error] ${sanitize(`${o.ename}: ${o.evalue}`, rules)}`);
      lines.push(...textLines(sanitize(o.traceback.join("\n").replace(ANSI, ""), rules)).map((l) => `  ${l}`));
      return;
    }
    const hasSpec = Object.keys(o.data).some((m) => SPEC_MIME.test(m));
    lines.push(`[${o.output_type}]`);
    for (const mime of Object.keys(o.data).sort()) {
      const v = o.data[mime];
      if (mime === "image/png" && hasSpec) {
        lines.push(`  ${mime}: (drawn from the chart spec, not compared)`);
      } else if (mime === "image/png" && typeof v === "string") {
        const key = `picture ${pictures.length + 1}`;
        pictures.push({ key, base64: v.replace(/\s/g, "") });
        lines.push(`  ${mime}: ${key} (compared by pixels)`);
      } else if (mime.startsWith("image/") && mime !== "image/svg+xml") {
        lines.push(
          `  ${mime}: ${typeof v === "string" ? `${v.replace(/\s/g, "").length} base64 characters, sha ${digest(v)}` : JSON.stringify(v)}`,
        );
      } else if (JSON_MIME.test(mime) || typeof v !== "string") {
        lines.push(`  ${mime}:`, ...canonicalJson(sanitizeJson(v, rules), "    "));
      } else {
        lines.push(`  ${mime}:`, ...textLines(sanitize(v, rules)).map((l) => `    ${l}`));
      }
    }
    const meta = { ...o.metadata };
    if (hasSpec) delete meta["image/png"];
    if (Object.keys(meta).length) lines.push("  metadata:", ...canonicalJson(sanitizeJson(meta, rules), "    "));
  });
  flush();
  return { lines, pictures };
}

function digest(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** Why two PNGs (base64) do not match, or null when they do. */
export function comparePictures(a: string, b: string): string | null {
  if (a === b) return null;
  let da, db;
  try {
    da = decodePng(Buffer.from(a, "base64"));
    db = decodePng(Buffer.from(b, "base64"));
  } catch (e) {
    if (e instanceof PngError) return `the images differ in their bytes and cannot be decoded for a pixel comparison (${e.message})`;
    throw e;
  }
  const d = pixelDiff(da, db, PIXEL_TOLERANCE.channel);
  if (!d.sameSize) return `size ${da.width}×${da.height} committed, ${db.width}×${db.height} now`;
  if (d.fraction <= PIXEL_TOLERANCE.maxFraction) return null;
  return (
    `${(d.fraction * 100).toFixed(2)}% of ${da.width}×${da.height} pixels differ by more than ${PIXEL_TOLERANCE.channel}/255 ` +
    `(tolerance ${PIXEL_TOLERANCE.maxFraction * 100}%)`
  );
}

/** The diff lines for one cell (empty when its outputs match). */
export function compareCell(committed: readonly NbOutput[], fresh: readonly NbOutput[], rules: readonly Sanitizer[]): string[] {
  const a = renderOutputs(committed, rules);
  const b = renderOutputs(fresh, rules);
  const diff = unifiedDiff(a.lines, b.lines, ["committed", "this run"]);
  if (diff.length) return diff;
  // Same text, so the same pictures in the same places: compare their pixels.
  const out: string[] = [];
  a.pictures.forEach((p, i) => {
    const why = comparePictures(p.base64, b.pictures[i].base64);
    if (why) out.push(`${p.key} (image/png): ${why}`);
  });
  return out;
}
