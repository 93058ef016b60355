/** reglab check's comparison: default sanitizers, charts by spec and data, PNGs by pixels, the diff. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import { compareCell, comparePictures } from "../../../../kernel/runner/compare";
import { unifiedDiff } from "../../../../kernel/runner/diff";
import { decodePng } from "../../../../kernel/runner/png";
import { DEFAULT_SANITIZE, sanitize, sanitizersFor } from "../../../../kernel/runner/sanitize";
import type { NbOutput } from "../../../../kernel/runner/outputs";

const rules = sanitizersFor({}, "t.ipynb");
const out = (text: string): NbOutput => ({ output_type: "stream", name: "stdout", text });

describe("default sanitizers", () => {
  const cases: Array<[string, string]> = [
    ["CPU times: user 273 ms, sys: 5.2 ms, total: 278 ms\nWall time: 474 ms\n", "CPU times: <time>\nWall time: <time>\n"],
    ["405 µs ± 141 µs per loop (mean ± std. dev. of 3 runs, 1000 loops each)\n", "<timeit>\n"],
    ["The slowest run took 11.95 times longer than the fastest. This could mean that an intermediate result is being cached.\nx\n", "x\n"],
    [
      "[#####-----] 25% epoch 15/60 | 0.0 s, ETA 0.1 s | loss 0.2862\n",
      "[#####-----] 25% epoch 15/60 | <time>, ETA <time> | loss 0.2862\n",
    ],
    ["9 runs in 31.8 s; 3 seeds, 2 sets, 12ms", "9 runs in <time>; 3 seeds, 2 sets, <time>"],
    ["saved at 2024-05-01T12:30:01.123Z to /tmp/reglab-x/out.png", "saved at <date> to <path>"],
    [
      "ratio 1/255, train/test, </td>, https://vega.github.io/schema/vega-lite/v5.json",
      "ratio 1/255, train/test, </td>, https://vega.github.io/schema/vega-lite/v5.json",
    ],
  ];
  for (const [input, want] of cases) it(JSON.stringify(input.slice(0, 40)), () => assert.equal(sanitize(input, rules), want));

  it("are listed once and a notebook's own rules come after them", () => {
    const own = sanitizersFor({ reglab: { check: { sanitize: { "loss \\d+\\.\\d+": "loss <x>" } } } }, "t.ipynb");
    assert.equal(own.length, DEFAULT_SANITIZE.length + 1);
    assert.equal(sanitize("loss 0.25 in 3 ms", own), "loss <x> in <time>");
    assert.throws(
      () => sanitizersFor({ reglab: { check: { sanitize: ["x"] } } }, "t.ipynb"),
      /must be an object of "regex": "replacement" pairs/,
    );
  });
});

describe("compareCell", () => {
  it("merges stream chunks and ignores what sanitizers mask", () => {
    assert.deepEqual(compareCell([out("a\n"), out("b in 3 ms\n")], [out("a\nb in 9 ms\n")], rules), []);
  });

  it("charts: the PNG next to a spec is not compared, a change in the data is", () => {
    const spec = (y: number) => ({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      mark: "line",
      data: {
        values: [
          { x: 1, y: 2 },
          { x: 2, y },
        ],
      },
    });
    const chart = (y: number, png: string): NbOutput => ({
      output_type: "display_data",
      data: { "application/vnd.vegalite.v5+json": spec(y), "image/png": png, "text/plain": "<chart>" },
      metadata: { "image/png": { width: png.length, height: 1 } },
    });
    assert.deepEqual(compareCell([chart(3, "AAAA")], [chart(3, "BBBBBB")], rules), []);
    const diff = compareCell([chart(3, "AAAA")], [chart(4, "AAAA")], rules);
    assert.match(diff.join("\n"), /^- +\{"x":2,"y":3\}\n\+ +\{"x":2,"y":4\}$/m, "one changed data row");
  });

  it("errors are compared by name, message and traceback", () => {
    const err = (m: string): NbOutput => ({ output_type: "error", ename: "Error", evalue: m, traceback: [`Error: ${m}`] });
    assert.deepEqual(compareCell([err("x")], [err("x")], rules), []);
    assert.ok(compareCell([err("x")], [err("y")], rules).includes("+[error] Error: y"));
  });
});

describe("pictures by pixels", () => {
  const png = (svgBody: string): string =>
    new Resvg(
      `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="80"><rect width="100" height="80" fill="white"/>${svgBody}</svg>`,
    )
      .render()
      .asPng()
      .toString("base64");
  const circle = png('<circle cx="50" cy="40" r="20" fill="steelblue"/>');

  it("decodes what resvg encodes", () => {
    const img = decodePng(Buffer.from(circle, "base64"));
    assert.deepEqual([img.width, img.height], [100, 80]);
    assert.deepEqual([...img.pixels.slice(0, 4)], [255, 255, 255, 255], "corner is white");
    const c = (40 * 100 + 50) * 4;
    assert.deepEqual([...img.pixels.slice(c, c + 4)], [70, 130, 180, 255], "centre is steelblue");
  });

  it("a barely different image matches, a moved shape does not, another size does not", () => {
    const tinted = png('<circle cx="50" cy="40" r="20" fill="#4783b4"/>'); // steelblue is #4682b4
    assert.notEqual(tinted, circle);
    assert.equal(comparePictures(circle, tinted), null);
    assert.match(
      comparePictures(circle, png('<circle cx="60" cy="40" r="20" fill="steelblue"/>')) ?? "",
      /% of 100×80 pixels differ by more than 16\/255/,
    );
    const big = new Resvg('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>').render().asPng().toString("base64");
    assert.match(comparePictures(circle, big) ?? "", /size 100×80 committed, 10×10 now/);
  });

  it("compareCell reports a picture that differs", () => {
    const img = (b64: string): NbOutput => ({ output_type: "display_data", data: { "image/png": b64, "text/plain": "img" }, metadata: {} });
    const moved = png('<rect x="10" y="10" width="60" height="50" fill="black"/>');
    assert.deepEqual(compareCell([img(circle)], [img(circle)], rules), []);
    assert.match(compareCell([img(circle)], [img(moved)], rules).join("\n"), /^picture 1 \(image\/png\): .*pixels differ/);
  });
});

describe("unifiedDiff", () => {
  it("shows hunks with context and caps long diffs", () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = [...a];
    b[3] = "X";
    b[15] = "Y";
    assert.deepEqual(unifiedDiff(a, b, ["c", "r"], 1), [
      "--- c",
      "+++ r",
      "@@ -3,3 +3,3 @@",
      " l2",
      "-l3",
      "+X",
      " l4",
      "@@ -15,3 +15,3 @@",
      " l14",
      "-l15",
      "+Y",
      " l16",
    ]);
    assert.deepEqual(unifiedDiff(a, a, ["c", "r"]), []);
    const long = unifiedDiff(
      a,
      a.map((x) => x + "!"),
      ["c", "r"],
      2,
      10,
    );
    assert.equal(long.length, 13);
    assert.match(long[12], /^… 31 more diff lines$/);
  });
});
