import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { save, learningCurves } from "../../../src/charts";

const c = learningCurves({ loss: [1, 0.5, 0.3], val_loss: [1.1, 0.7, 0.6] }, { title: "Saved </script> chart" });

test("save writes .png, .svg, .json and a self-contained .html atomically", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-charts-"));
  try {
    const png = fs.readFileSync(save(c, path.join(dir, "c.png")));
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    const { width, height } = c.size();
    assert.equal(png.readUInt32BE(16), 2 * width);
    assert.equal(png.readUInt32BE(20), 2 * height);

    const svg = fs.readFileSync(save(c, path.join(dir, "c.svg")), "utf8");
    assert.match(svg, /^<svg[^>]*width="\d+"/);
    assert.match(svg, /Saved &lt;\/script&gt; chart/);

    assert.deepEqual(JSON.parse(fs.readFileSync(save(c, path.join(dir, "sub", "c.json")), "utf8")), c.spec);

    const html = fs.readFileSync(save(c, path.join(dir, "c.html")), "utf8");
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script[^>]+src=/, "no external scripts");
    assert.doesNotMatch(html, /cdn\.jsdelivr|unpkg\.com/);
    // The inlined libraries are the installed builds.
    const vegaMin = fs.readFileSync(require.resolve("vega/build/vega.min.js"), "utf8");
    assert.ok(html.length > vegaMin.length);
    assert.match(html, /vegaLite\.compile\(spec\)/);
    // The embedded spec parses back and the chart title cannot close the script tag.
    const m = html.match(/var spec = (.*);\n/);
    assert.ok(m);
    assert.deepEqual(JSON.parse(m![1].replace(/<\\\//g, "</")), c.spec);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 3);

    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temp files left");
    assert.throws(() => save(c, path.join(dir, "c.bmp")), /unknown file type '.bmp'.*use .png, .svg, .json or .html/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
