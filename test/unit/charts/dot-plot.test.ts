import { test } from "node:test";
import assert from "node:assert/strict";
import { dotPlot, ensembleBars } from "../../../src/charts";

type Layer = {
  data: { values: Array<Record<string, unknown>> }; mark: { type: string }; encoding: Record<string, { datum?: number; field?: string }>
};

test("dotPlot: one dot per run, the means computed here, methods in the given order; bad input is refused", () => {
  const rows = [
    { method: "single", value: 0.9, run: 1 }, { method: "single", value: 0.92, run: 2 },
    { method: "ensemble", value: 0.95, run: 1 }, { method: "ensemble", value: 0.96, run: 2 },
  ];
  const c = dotPlot(rows, { metric: "test accuracy", order: ["ensemble", "single"] });
  const layers = c.spec.layer as Layer[];
  assert.equal(layers[0].data.values.length, 4);
  const means = layers[1].data.values as Array<{ method: string; mean: number }>;
  assert.deepEqual(means.map((m) => m.method), ["ensemble", "single"]);
  assert.ok(Math.abs(means[0].mean - 0.955) < 1e-12 && Math.abs(means[1].mean - 0.91) < 1e-12);
  assert.match(c.toSVG(), /0\.955/);
  assert.throws(() => dotPlot([]), /at least one row/);
  assert.throws(() => dotPlot([{ method: "a", value: NaN }]), /finite value/);
  assert.throws(() => dotPlot(rows, { order: ["single"] }), /not in options.order/);
});

test("ensembleBars: value labels sit at the bars' base, not at their tops where the mean rule runs", () => {
  const text = (c: ReturnType<typeof ensembleBars>) => (c.spec.layer as Layer[]).find((l) => l.mark.type === "text")!;
  assert.equal(text(ensembleBars({ a: 0.9, b: 0.91 }, 0.93)).encoding.y.datum, 0);
  assert.equal(text(ensembleBars({ a: 0.9, b: 0.91 }, 0.93, { domain: [0.5, 1] })).encoding.y.datum, 0.5);
});
