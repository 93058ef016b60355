/**
 * Save a chart as .png (2x density), .svg, .json (the vega-lite spec) or a
 * self-contained .html (the installed vega and vega-lite builds inlined; no
 * CDN, no vega-embed: a small script compiles with vegaLite.compile and
 * draws with vega.View). Writes are atomic: a temp file in the same folder,
 * then rename.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { chart, Chart } from "./chart";
import type { VegaLiteSpec } from "./render";
import { escapeHtml } from "../display/html";

let libCache: { vega: string; vegaLite: string } | null = null;

function libraries(): { vega: string; vegaLite: string } {
  if (!libCache) {
    const read = (mod: string) => fs.readFileSync(require.resolve(mod), "utf8");
    libCache = { vega: read("vega/build/vega.min.js"), vegaLite: read("vega-lite/build/vega-lite.min.js") };
  }
  return libCache;
}

/** Keep "</script>" inside inlined code and JSON from closing the tag. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}


/** A standalone HTML page drawing the chart (SVG renderer), with a PNG fallback if scripts are off. */
export function chartHtml(c: Chart): string {
  const { vega, vegaLite } = libraries();
  const png = c.pngBase64OrNull();
  const fallback = png ? `<noscript><img src="data:image/png;base64,${png}" alt="${escapeHtml(c.title || "chart")}"/></noscript>` : "";
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(c.title || "chart")}</title>
<style>body{margin:16px;font-family:"DejaVu Sans",Verdana,sans-serif}</style>
<script>${scriptSafe(vega)}</script>
<script>${scriptSafe(vegaLite)}</script>
</head><body>
<div id="chart"></div>${fallback}
<script>
(function () {
  var spec = ${scriptSafe(JSON.stringify(c.spec))};
  var view = new vega.View(vega.parse(vegaLite.compile(spec).spec), {renderer: "svg", container: "#chart", hover: true});
  view.runAsync().catch(function (e) { document.getElementById("chart").textContent = "chart error: " + e; });
})();
</script>
</body></html>
`;
}

function writeAtomic(file: string, data: string | Buffer): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Save by extension: .png, .svg, .json, .html. Returns the absolute path. */
export function save(c: Chart | VegaLiteSpec, file: string, options: { scale?: number } = {}): string {
  const ch = chart(c);
  const ext = path.extname(file).toLowerCase();
  let data: string | Buffer;
  switch (ext) {
    case ".png":
      data = ch.toPNG(options.scale);
      break;
    case ".svg":
      data = ch.toSVG();
      break;
    case ".json":
      data = JSON.stringify(ch.spec, null, 2) + "\n";
      break;
    case ".html":
    case ".htm":
      data = chartHtml(ch);
      break;
    default:
      throw new Error(`save: unknown file type '${ext || "(none)"}' for ${file}; use .png, .svg, .json or .html`);
  }
  const abs = path.resolve(file);
  writeAtomic(abs, data);
  return abs;
}
