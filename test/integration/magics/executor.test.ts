/**
 * Magics that run TypeScript, in process, over the real TypeScriptExecutor
 * (tslab): %time, %timeit (compile once, loops × runs, await, tensors),
 * %%sweep, %%capture, %%tfleak, %tfmem, %seed, %whos, %reset, %run,
 * %%vegalite --data, and completion through a magic cell.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import * as tf from "@tensorflow/tfjs";
import type { CellExecutor, CellIO, CellOutcome } from "../../../kernel/execution/types";
import type { DisplayContent } from "../../../src/display/transport";
import { TypeScriptExecutor } from "../../../kernel/execution/typescript";
import { redirectStreams } from "../../../kernel/execution/streams";
import { createMagicsLayer } from "../../../kernel/magics/index";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";

interface Ran {
  out: CellOutcome;
  stdout: string;
  stderr: string;
  displays: DisplayContent[];
}

describe("magics over the TypeScript executor", () => {
  let ts: TypeScriptExecutor;
  let layer: CellExecutor;
  const innerRuns: string[] = [];
  let dir: string;

  async function run(code: string): Promise<Ran> {
    let stdout = "";
    let stderr = "";
    const displays: DisplayContent[] = [];
    const io: CellIO = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      display: (c) => displays.push(c),
    };
    redirectStreams(io); // as the kernel's handler does: the owner of the cell's output
    try {
      const out = await layer.run(code, io);
      return { out, stdout, stderr, displays };
    } finally {
      redirectStreams(null); // give the test runner its stdout back
    }
  }

  async function ok(code: string): Promise<Ran> {
    const r = await run(code);
    assert.equal(r.out.status, "ok", `${code}\n→ ${JSON.stringify(r.out)}\nstderr: ${r.stderr}`);
    return r;
  }

  before(async () => {
    await useBackend("cpu", { quiet: true });
    ts = new TypeScriptExecutor({ backend: false });
    // Count what reaches TypeScript.
    const counting: CellExecutor = Object.create(ts) as CellExecutor;
    counting.run = (code: string, io: CellIO) => {
      innerRuns.push(code);
      return ts.run(code, io);
    };
    layer = createMagicsLayer(counting, { redirectStreams: (io) => redirectStreams(io) });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-magics-ts-"));
    await ok('import * as tf from "@tensorflow/tfjs";');
    tf.tidy(() => tf.ones([1]).add(1)); // tfjs's one-time "Hi, looks like you are running TensorFlow.js in Node.js" banner, out of the way
  });
  // Cells redirect process.stdout, which the test runner reports through:
  // let its (asynchronous) report of the previous test flush first.
  beforeEach(() => new Promise((res) => setTimeout(res, 50)));
  after(() => {
    ts?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("%time reports CPU and wall time and passes the value through", async () => {
    const r = await ok("%time 6 * 7");
    assert.deepEqual(r.out, { status: "ok", hasValue: true, value: 42 });
    assert.match(
      r.stdout,
      /^CPU times: user [\d.]+ (s|ms|µs|ns), sys: [\d.]+ (s|ms|µs|ns), total: [\d.]+ (s|ms|µs|ns)\nWall time: [\d.]+ (s|ms|µs|ns)\n$/,
    );
    const c = await ok("%%time\nconst tv = [1, 2, 3];\ntv.length");
    assert.deepEqual(c.out, { status: "ok", hasValue: true, value: 3 });
  });

  it("%timeit compiles once and calls the code loops × runs times", async () => {
    await ok("let calls = 0;");
    innerRuns.length = 0;
    const r = await ok("%timeit -n 7 -r 3 calls++");
    assert.equal(innerRuns.length, 1, "one compile through the inner executor");
    // (optionally preceded by IPython's "The slowest run took ..." caching warning)
    const perLoop = /[\d.]+ (s|ms|µs|ns) ± [\d.]+ (s|ms|µs|ns) per loop /.source;
    assert.match(r.stdout, new RegExp(`(^|\\n)${perLoop}\\(mean ± std\\. dev\\. of 3 runs, 7 loops each\\)\\n$`));
    assert.deepEqual((await ok("calls")).out, { status: "ok", hasValue: true, value: 21 });
  });

  it("%timeit without -n grows N by 10× until a run takes 0.2 s", async () => {
    await ok("let calls2 = 0;");
    const r = await ok("%timeit -r 2 calls2++");
    const m = /, (\d+) loops? each\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const n = Number(m[1]);
    assert.ok(Number.isInteger(Math.log10(n)), `N=${n} is a power of 10`);
    // Calibration runs 1, 10, ..., N loops, then 2 runs of N.
    let calibration = 0;
    for (let k = 1; k <= n; k *= 10) calibration += k;
    assert.deepEqual((await ok("calls2")).out, { status: "ok", hasValue: true, value: calibration + 2 * n });
  });

  it("%%timeit awaits async code and frees tensors of each loop", async () => {
    const r = await ok("%%timeit -n 2 -r 1\nawait new Promise((res) => setTimeout(res, 30));\n1");
    const m = /(?:^|\n)([\d.]+) (s|ms|µs|ns) ±/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const seconds = Number(m[1]) * { s: 1, ms: 1e-3, µs: 1e-6, ns: 1e-9 }[m[2] as "s"];
    assert.ok(seconds >= 0.025, `each loop awaited its 30 ms timer (${r.stdout.trim()})`);
    const before = tf.memory().numTensors;
    await ok("%%timeit -n 5 -r 2\nconst a = tf.ones([4, 4]);\na.matMul(a).sum()");
    await ok("%timeit -n 3 -r 1 tf.scalar(2).square()");
    assert.equal(tf.memory().numTensors, before);
  });

  it("%timeit and %%sweep stop on interrupt", async () => {
    let p = run("%timeit -n 10 -r 1000 await new Promise((res) => setTimeout(res, 1))");
    await new Promise((res) => setTimeout(res, 300));
    layer.interrupt();
    let r = await p;
    assert.equal(r.out.status, "error");
    assert.equal((r.out as { ename: string }).ename, "KeyboardInterrupt");
    p = run("%%sweep i=1,2,3,4,5,6,7,8,9,10\nawait new Promise((res) => setTimeout(res, 200));\ni");
    await new Promise((res) => setTimeout(res, 300));
    layer.interrupt();
    r = await p;
    assert.equal(r.out.status, "error");
    assert.ok(r.stdout.trim().split("\n").length < 10, "stopped before the last run");
    await ok("1");
  });

  it("%timeit reports a compile error from the timed code", async () => {
    const r = await run("%timeit -n 1 -r 1 undefinedName + 1");
    assert.equal(r.out.status, "error");
  });

  it("%%sweep runs every combination with seeds and collects a DataFrame", async () => {
    const r = await ok("%%sweep a=1,2 b=10,20 --seeds 3..4\n({ v: a * b + Math.random(), w: a })");
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 8, r.stdout);
    assert.match(lines[0], /^\[1\/8\] a=1 b=10 seed=3 → v=/);
    const df = ts.locals._sweep as { columns: string[]; values: number[][] };
    assert.deepEqual(df.columns, ["a", "b", "seed", "v", "w"]);
    // Independent computation of the expected values.
    const expected: number[][] = [];
    for (const a of [1, 2])
      for (const b of [10, 20])
        for (const s of [3, 4]) {
          seed(s);
          expected.push([a, b, s, a * b + Math.random(), a]);
        }
    assert.equal(df.values.length, expected.length);
    df.values.forEach((row, i) => {
      assert.deepEqual(row.slice(0, 3), expected[i].slice(0, 3));
      assert.ok(Math.abs(row[3] - expected[i][3]) < 1e-6, `row ${i}`);
      assert.equal(row[4], expected[i][4]);
    });
    assert.equal(r.displays.length, 1);
    assert.match(String(r.displays[0].data["text/html"]), /<table/);
    // _sweep is a notebook variable for later cells.
    assert.deepEqual((await ok("_sweep.shape")).out, { status: "ok", hasValue: true, value: [8, 5] });
  });

  it("%%sweep with a plain number result and a bad result", async () => {
    await ok("%%sweep lr=0.1,0.01\nlr * 2");
    const df = ts.locals._sweep as { columns: string[]; values: number[][] };
    assert.deepEqual(df.columns, ["lr", "value"]);
    assert.deepEqual(df.values, [
      [0.1, 0.2],
      [0.01, 0.02],
    ]);
    const bad = await run('%%sweep lr=1\n"text"');
    assert.equal(bad.out.status, "error");
    assert.match((bad.out as { evalue: string }).evalue, /number or an object of numbers/);
  });

  it("%%capture keeps stdout, stderr and displays; show() replays them", async () => {
    const r = await ok(
      '%%capture cap\nconsole.log("to stdout");\nconsole.error("to stderr");\nimport { display } from "reglab";\ndisplay(tf.scalar(3));',
    );
    assert.equal(r.stdout, "");
    assert.equal(r.displays.length, 0);
    assert.equal((await ok("cap.stdout")).out.status, "ok");
    const cap = ts.locals.cap as { stdout: string; stderr: string; displays: DisplayContent[] };
    assert.equal(cap.stdout, "to stdout\n");
    assert.equal(cap.stderr, "to stderr\n");
    assert.match(String(cap.displays[0].data["text/plain"]), /^Tensor float32 \[\]/);
    const replay = await ok("cap.show()");
    assert.equal(replay.stdout, "to stdout\n");
    assert.equal(replay.stderr, "to stderr\n");
    assert.equal(replay.displays.length, 1);
  });

  it("%%tfleak counts leaked tensors; --fail makes a leak an error", async () => {
    const before = tf.memory().numTensors;
    const leak = await ok("%%tfleak\nconst leaked1 = tf.zeros([2, 5]);\nconst leaked2 = tf.ones([3]);");
    assert.equal(leak.stdout, `tfleak: 2 tensors (${(10 + 3) * 4} B) leaked\n`);
    assert.equal(tf.memory().numTensors, before + 2);
    const clean = await ok("%%tfleak --fail\ntf.tidy(() => tf.ones([3]).add(1).sum().dataSync()[0])");
    assert.equal(clean.stdout, "tfleak: no tensors leaked\n");
    assert.deepEqual(clean.out, { status: "ok", hasValue: true, value: 6 });
    const fail = await run("%%tfleak --fail\nconst leaked3 = tf.ones([1]);");
    assert.equal(fail.out.status, "error");
    assert.equal((fail.out as { ename: string }).ename, "TensorLeakError");
    await ok("leaked1.dispose(); leaked2.dispose(); leaked3.dispose();");
  });

  it("%tfmem and %seed agree with tf.memory() and getSeed()", async () => {
    const m = await ok("%tfmem");
    const n = tf.memory().numTensors;
    assert.match(m.stdout, new RegExp(`^Tensors: ${n}\\nBytes: .+\\nBackend: cpu\\n$`));
    await ok("%seed 11");
    seed(11);
    const want = Math.random();
    await ok("%seed 11");
    assert.deepEqual((await ok("Math.random()")).out, { status: "ok", hasValue: true, value: want });
    assert.equal((await ok("%seed")).stdout, "Seed: 11\n");
    const b = await ok("%backend");
    assert.match(b.stdout, /^Current backend: cpu\nAvailable: .*cpu/);
  });

  it("%%writefile then %run defines the file's names in the notebook", async () => {
    const f = path.join(dir, "helpers.ts");
    await ok(`%%writefile ${f}\nfunction triple(x: number) { return 3 * x; }\nconst fromRun = triple(5);`);
    await ok(`%run ${f}`);
    assert.deepEqual((await ok("fromRun + triple(1)")).out, { status: "ok", hasValue: true, value: 18 });
  });

  it("%%vegalite takes data from an array or a DataFrame variable", async () => {
    await ok('const pts = [{x: 1, y: 2}, {x: 2, y: 3}];\nimport * as dfd from "danfojs-node";\nconst frame = new dfd.DataFrame(pts);');
    for (const v of ["pts", "frame"]) {
      const r = await ok(
        `%%vegalite --data ${v}\n{"mark": "point", "encoding": ` +
          `{"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}`,
      );
      assert.equal(r.displays.length, 1);
      const spec = r.displays[0].data["application/vnd.vegalite.v5+json"] as { data: { values: unknown[] } };
      assert.deepEqual(JSON.parse(JSON.stringify(spec.data.values)), [
        { x: 1, y: 2 },
        { x: 2, y: 3 },
      ]);
    }
  });

  it("%whos describes tensors and frames; %reset -f forgets everything", async () => {
    await ok("const tw = tf.zeros([2, 3]);");
    const r = await ok("%whos");
    assert.match(r.stdout, /\ntw\s+Tensor\s+float32 \[2, 3\]\n/);
    assert.match(r.stdout, /\nframe\s+DataFrame\s+2 rows × 2 columns\n/);
    await ok("tw.dispose()");
    await ok("%reset -f");
    assert.equal((await ok("%who")).stdout, "Interactive namespace is empty.\n");
    await ok('import * as tf from "@tensorflow/tfjs";');
    tf.tidy(() => tf.ones([1]).add(1)); // tfjs's one-time "Hi, looks like you are running TensorFlow.js in Node.js" banner, out of the way
  });
  // Cells redirect process.stdout, which the test runner reports through:
  // let its (asynchronous) report of the previous test flush first.
  beforeEach(() => new Promise((res) => setTimeout(res, 50)));

  it("line magics between code keep declarations and return the last value", async () => {
    const r = await ok("const before1 = 2;\n%seed 5\nconst after1 = before1 * 3;\nafter1");
    assert.equal(r.stdout, "Seed set to 5\n");
    assert.deepEqual(r.out, { status: "ok", hasValue: true, value: 6 });
  });

  it("completes TypeScript after a magic line at the mapped position", () => {
    const code = "const completeMe = 1;\n%who\ncompleteM";
    const c = layer.complete(code, code.length);
    assert.ok(c.matches.includes("completeMe"), JSON.stringify(c));
    assert.equal(code.slice(c.cursorStart, c.cursorEnd), "completeM");
  });
});
