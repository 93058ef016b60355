/**
 * Chart spec errors: what vega-lite 5 crashes on (bare TypeErrors) is
 * checked first and reported with the wrong value and what is allowed;
 * what vega-lite reports itself is quoted; thrown errors carry no stack
 * frames from the chart code or vega.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "path";
import { chart, show, layer } from "../../../src/charts";
import { validateSpec, VEGALITE_MARKS, VEGALITE_TYPES } from "../../../src/charts/render";
import { applyTheme } from "../../../src/charts/chart";
import { DIST } from "../../support/paths";

const vl = require("vega-lite") as { compile(s: unknown, o?: unknown): unknown };
const quiet = { logger: { level: () => 0, warn: () => 0, info: () => 0, debug: () => 0, error: () => 0 } };

/** What raw vega-lite does with a spec: "ok", or the constructor name and message of what it threw. */
function rawVegaLite(spec: unknown): string {
  try {
    vl.compile(spec, quiet);
    return "ok";
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  assert.fail("expected a throw");
}

const rows = { values: [{ a: 1, b: 2 }] };
const chartsDir = path.join(DIST, "src", "charts");

test("the cases checked here really crash vega-lite with a TypeError (so the check is needed)", () => {
  for (const spec of [
    { mark: "pointz", data: rows, encoding: { x: { field: "a", type: "quantitative" } } },
    { mark: { type: "barr" }, data: rows },
    { mark: "line" },
    { mark: "area", data: rows },
    { mark: "boxplot", data: rows },
    { mark: "point", data: rows, encoding: { x: { field: "a", type: 3 } } },
  ]) {
    assert.match(rawVegaLite(spec), /^TypeError: /, JSON.stringify(spec));
  }
});

test("an unknown mark names the value, the nearest mark and the list", () => {
  const e = thrown(() => show({ mark: "pointz", data: rows, encoding: { x: { field: "a", type: "quantitative" } } }));
  assert.match(e.message, /mark 'pointz' is not a vega-lite mark; did you mean 'point'\?/);
  for (const m of VEGALITE_MARKS) assert.ok(e.message.includes(m), `lists ${m}`);
  assert.doesNotMatch(e.message, /Cannot read properties/);
  // {type} form, transposition, and a non-string mark
  assert.match(
    thrown(() => chart({ mark: { type: "abr" }, data: rows })).message, /mark\.type 'abr' is not a vega-lite mark; did you mean 'bar'\?/
  );
  assert.match(thrown(() => chart({ mark: 3, data: rows })).message, /mark must be a mark name such as 'point'.*got 3/);
});

test("a line with no data and no encoding says what is missing", () => {
  const e = thrown(() => show({ mark: "line" }));
  assert.match(e.message, /mark 'line' needs an encoding/);
  assert.match(e.message, /data: \{values/);
  assert.doesNotMatch(e.message, /reading 'shape'/);
});

test("bad encoding types name the channel and the allowed types, also in tooltips and conditions", () => {
  const e = thrown(() => chart({ mark: "point", data: rows, encoding: { x: { field: "a", type: "quant" } } }));
  assert.match(e.message, /encoding\.x\.type 'quant' is not a vega-lite type; did you mean 'quantitative'\?/);
  for (const t of VEGALITE_TYPES) assert.ok(e.message.includes(t));
  assert.match(
    thrown(() => chart({ mark: "point", data: rows, encoding: { tooltip: [{ field: "a", type: "nominl" }] } })).message,
    /encoding\.tooltip\[0\]\.type 'nominl'.*did you mean 'nominal'/,
  );
  assert.match(
    thrown(() => chart({
      mark: "point", data: rows, encoding: { color: { condition: { param: "p", field: "a", type: "ordinl" }, value: "red" } }
    }))
      .message,
    /encoding\.color\.condition\.type 'ordinl'/,
  );
  // vega-lite's own shorthands and any case are accepted
  assert.deepEqual(validateSpec(
    { mark: "point", data: rows, encoding: { x: { field: "a", type: "Q" }, y: { field: "b", type: "Nominal" } } }
  ), []);
});

test("fields without data are reported; composed specs inherit data and (for layers) encoding", () => {
  assert.match(
    thrown(() => chart({ mark: "point", encoding: { x: { field: "a", type: "quantitative" } } })).message,
    /encodes fields but has no data/,
  );
  const problems = validateSpec({ hconcat: [
    { mark: "point", data: rows, encoding: { x: { field: "a", type: "quantitative" } } }, { mark: "pointz" }
  ] });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^hconcat\[1\]\.mark 'pointz'/);
  // Valid specs vega-lite draws must pass: parent data/encoding, datum-only rules, facets, repeats.
  const valid: Record<string, unknown>[] = [
    { data: rows, encoding: { x: { field: "a", type: "quantitative" } }, layer: [{ mark: "line" }, { mark: "point" }] },
    { mark: "rule", encoding: { y: { datum: 0 } } },
    { mark: "point" },
    { data: rows, facet: { row: { field: "a", type: "nominal" } }, spec: {
      mark: "point", encoding: { x: { field: "b", type: "quantitative" } }
    } },
    { data: rows, repeat: ["a", "b"], spec: { mark: "bar", encoding: { x: { field: { repeat: "repeat" }, type: "quantitative" } } } },
    { mark: "boxplot", data: rows, encoding: { y: { field: "a", type: "quantitative" } } },
  ];
  for (const spec of valid) {
    assert.equal(rawVegaLite(spec), "ok", `vega-lite accepts ${JSON.stringify(spec)}`);
    assert.deepEqual(validateSpec(spec), [], JSON.stringify(spec));
    chart(spec);
  }
});

test("errors vega-lite reports itself are still quoted", () => {
  const bad = { data: rows, encoding: { x: { field: "a", type: "quantitative" } } }; // no mark
  const vlMessage = rawVegaLite(applyTheme(bad)).replace(/^Error: /, ""); // the themed spec is what is compiled
  assert.notEqual(vlMessage, "ok");
  const e = thrown(() => chart(bad));
  assert.ok(e.message.startsWith("Invalid vega-lite spec (vega-lite 5."), e.message);
  assert.ok(e.message.includes(vlMessage));
});

test("the stack shows the caller's frames, none from the chart code or vega", () => {
  const specs: unknown[] = [{ mark: "pointz", data: rows }, { data: rows }, [1, 2]];
  for (const spec of specs) {
    const e = thrown(() => show(spec as Record<string, unknown>));
    const frames = (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
    assert.ok(e.stack?.startsWith(`Error: ${e.message}`), e.stack);
    assert.ok(frames.length > 0, "the caller's frames stay");
    assert.ok(frames[0].includes(__filename), `first frame is this test: ${frames[0]}`);
    for (const f of frames) {
      assert.ok(!f.includes(chartsDir + path.sep), `no chart-internal frame: ${f}`);
      assert.ok(!/node_modules[\\/]vega/.test(f), `no vega frame: ${f}`);
    }
  }
  // Through a builder too (compose's layer makes the Chart).
  const e = thrown(() => layer([{ mark: "pointz", data: rows }]));
  assert.ok(e.stack!.split("\n")[1].includes(__filename), e.stack);
});
