import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainingProgress, VEGALITE_MIME } from "../../../src/charts";
import { DISPLAY_SINK, type DisplayContent } from "../../../src/display/transport";

function captureLog<T>(fn: () => T): { lines: string[]; result: T } {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    return { lines, result: fn() };
  } finally {
    console.log = orig;
  }
}

function withEnv<T>(headless: boolean, fn: () => T): T {
  const old = process.env.REGLAB_HEADLESS;
  if (headless) process.env.REGLAB_HEADLESS = "1";
  else delete process.env.REGLAB_HEADLESS;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.REGLAB_HEADLESS;
    else process.env.REGLAB_HEADLESS = old;
  }
}

function runTraining(p: TrainingProgress, epochs: number, batches: number): void {
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < batches; b++) p.batch(e, b, { loss: 1 / (e + 1 + b / batches) });
    p.epoch(e, { loss: 1 / (e + 1), val_loss: 1.2 / (e + 1), acc: e / epochs });
  }
  p.done();
}

test("headless: a few plain lines (25/50/75/100 % and the final line), not one per batch", () => {
  const { lines } = withEnv(true, () => captureLog(() => runTraining(
    new TrainingProgress({ epochs: 40, batchesPerEpoch: 50, title: "fit" }), 40, 50
  )));
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^fit \[#####-+\] 25% epoch 10\/40/);
  assert.match(lines[3], /100% epoch 40\/40/);
  assert.match(lines[4], /^fit: done, 40 epochs in .* loss 0\.025, val_loss 0\.03, acc 0\.975$/);
});

test("headless with fewer epochs than milestones prints each epoch at most once", () => {
  const { lines } = withEnv(true, () => captureLog(() => runTraining(new TrainingProgress({ epochs: 2 }), 2, 3)));
  assert.equal(lines.length, 3); // 50 %, 100 %, done
});

test("in a kernel: one output updated in place, throttled, final state always rendered", () => {
  const g = globalThis as Record<symbol, unknown>;
  const got: Array<[DisplayContent, boolean]> = [];
  g[DISPLAY_SINK] = (c: DisplayContent, u: boolean) => void got.push([c, u]);
  const start = Date.now();
  let p!: TrainingProgress;
  let printed: string[] = [];
  try {
    printed = withEnv(false, () =>
      captureLog(() => {
        p = new TrainingProgress({ epochs: 30, batchesPerEpoch: 20, title: "fit" });
        runTraining(p, 30, 20);
      }),
    ).lines;
  } finally {
    delete g[DISPLAY_SINK];
  }
  const elapsed = Date.now() - start;
  assert.deepEqual(printed, [], "nothing on stdout");
  // At most one render per 500 ms of the loop, plus the first and the final one.
  assert.ok(got.length >= 2 && got.length <= 2 + Math.floor(elapsed / 500), `${got.length} renders in ${elapsed} ms`);
  assert.equal(got.length, p.renders);
  const id = got[0][0].transient?.display_id;
  assert.ok(id);
  assert.equal(got[0][1], false, "first is a display_data");
  for (const [c, update] of got.slice(1)) {
    assert.equal(update, true, "later ones update in place");
    assert.equal(c.transient?.display_id, id);
  }
  const last = got[got.length - 1][0].data;
  assert.match(String(last["text/plain"]), /100% epoch 30\/30 .*loss 0\.03333/);
  assert.match(String(last["text/html"]), /epoch 30\/30/);
  assert.match(String(last["text/html"]), /width:100%/);
});

test("liveChart: HTML with a PNG while training, the chart bundle at the end", async () => {
  const g = globalThis as Record<symbol, unknown>;
  const got: Array<[DisplayContent, boolean]> = [];
  g[DISPLAY_SINK] = (c: DisplayContent, u: boolean) => void got.push([c, u]);
  try {
    await withEnv(false, async () => {
      const p = new TrainingProgress({ epochs: 3, liveChart: true, title: "live" });
      p.epoch(0, { loss: 1, val_loss: 1.1 });
      await new Promise((r) => setTimeout(r, 600)); // let the throttle window pass
      p.epoch(1, { loss: 0.5, val_loss: 0.7 });
      p.epoch(2, { loss: 0.3, val_loss: 0.6 });
      p.done();
    });
  } finally {
    delete g[DISPLAY_SINK];
  }
  assert.ok(got.length >= 2);
  assert.match(String(got[0][0].data["text/html"]), /<img src="data:image\/png;base64,/);
  const final = got[got.length - 1][0];
  assert.ok(final.data[VEGALITE_MIME], "final state is the interactive chart");
  assert.ok(final.data["image/png"]);
  assert.equal(final.data["text/html"], undefined, "no text/html: it would outrank the chart in JupyterLab");
  assert.match(JSON.stringify(final.data[VEGALITE_MIME]), /epoch 3\/3/);
});

test("bad options are clear errors", () => {
  assert.throws(() => new TrainingProgress({ epochs: 0 }), /epochs must be a positive integer/);
  assert.throws(() => new TrainingProgress({ epochs: 2, batchesPerEpoch: 1.5 }), /batchesPerEpoch must be a positive integer/);
});
