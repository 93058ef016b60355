/**
 * Fixes from the magics audit: suggestions for transposed names, `%run` of
 * module files (export forms), `%whos` for tfjs models / optimizers /
 * histories, and `%%sweep` leaving no swept names behind. Over the real
 * TypeScriptExecutor (tslab) where it matters.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import * as tf from "@tensorflow/tfjs";
import type { CellExecutor, CellIO, CellOutcome } from "../../../kernel/execution/types";
import { TypeScriptExecutor } from "../../../kernel/execution/typescript";
import { redirectStreams } from "../../../kernel/execution/streams";
import { createMagicsLayer } from "../../../kernel/magics/index";
import { defaultMagics } from "../../../kernel/magics/all";
import { stripExports } from "../../../kernel/magics/tsfork";
import { describe as describeValue } from "../../../kernel/magics/namespace";
import { History } from "../../../src/training/history";
import { useBackend } from "../../../src/backend";

describe("magic name suggestions", () => {
  it("%tiem and %%tiem suggest time; %timit still suggests timeit", async () => {
    const reg = defaultMagics();
    assert.equal(reg.suggest("tiem", false)[0], "%time");
    assert.equal(reg.suggest("tiem", true)[0], "%%time");
    assert.ok(reg.suggest("timit", false).includes("%timeit"));
    assert.ok(reg.suggest("wohs", false).includes("%whos"));
    const inner: CellExecutor = {
      locals: {},
      run: async () => ({ status: "ok", hasValue: false }),
      complete: () => ({ matches: [], cursorStart: 0, cursorEnd: 0 }),
      inspect: () => ({ found: false, data: {} }),
      isComplete: () => ({ status: "complete" }),
      interrupt: () => undefined,
      reset: () => undefined,
      close: () => undefined,
    };
    const layer = createMagicsLayer(inner, { redirectStreams: null });
    const io: CellIO = { stdout: () => undefined, stderr: () => undefined, display: () => undefined };
    const out = await layer.run("%tiem 1+1", io);
    assert.equal(out.status, "error");
    assert.match((out as { evalue: string }).evalue, /`%tiem` not found\. Did you mean: %time\b/);
    const cell = await layer.run("%%tiem\n1+1", io);
    assert.match((cell as { evalue: string }).evalue, /`%%tiem` not found\. Did you mean: %%time\b/);
  });
});

describe("stripExports", () => {
  const src = [
    "export const a = 1;",
    "export let b = 2, c = 3;",
    "export function f(x: number): number { return x + a; }",
    "export default class Named { v = 1 }",
    "export interface I { x: number }",
    "export type T = { y: string };",
    "export enum E { A, B }",
    "export namespace N { export const inner = 1; }",
    "const h = 4;",
    "export {",
    "  h as h2,",
    "};",
    'export { readFileSync } from "fs";',
    'export * as pth from "path";',
    "export default { a, b };",
  ].join("\n");

  it("keeps every line where it was and exports inside namespaces", () => {
    const out = stripExports(src);
    const inLines = src.split("\n");
    const outLines = out.split("\n");
    assert.equal(outLines.length, inLines.length);
    // Declarations keep their column (the modifier becomes spaces).
    for (const i of [0, 1, 2, 4, 5, 6]) assert.equal(outLines[i].trimStart(), inLines[i].replace(/^export /, ""), `line ${i + 1}`);
    assert.equal(outLines[0].indexOf("const"), inLines[0].indexOf("const"));
    assert.equal(outLines[3].trim(), "class Named { v = 1 }");
    assert.match(outLines[7], /^\s+namespace N \{ export const inner = 1; \}$/);
    assert.equal(outLines[9].trim(), "const h2 = h;");
    assert.equal(outLines[12], 'import { readFileSync } from "fs";');
    assert.equal(outLines[13], 'import * as pth from "path";');
    assert.equal(outLines[14].trim(), "({ a, b });");
    assert.doesNotMatch(out.replace(/namespace N \{ export const inner/, ""), /\bexport\b/);
  });

  it("leaves a file without exports unchanged", () => {
    const plain = "const x = 1;\n// export const y = 2;\nconst s = 'export default 3';\n";
    assert.equal(stripExports(plain), plain);
  });
});

interface Ran {
  out: CellOutcome;
  stdout: string;
}

describe("over the TypeScript executor", () => {
  let ts: TypeScriptExecutor;
  let layer: CellExecutor;
  let dir: string;

  async function run(code: string): Promise<Ran> {
    let stdout = "";
    const io: CellIO = { stdout: (t) => (stdout += t), stderr: () => undefined, display: () => undefined };
    redirectStreams(io); // as the kernel's handler does: the owner of the cell's output
    try {
      return { out: await layer.run(code, io), stdout };
    } finally {
      redirectStreams(null); // give the test runner its stdout back
    }
  }
  async function ok(code: string): Promise<Ran> {
    const r = await run(code);
    assert.equal(r.out.status, "ok", `${code}\n→ ${JSON.stringify(r.out)}`);
    return r;
  }
  async function value(code: string): Promise<unknown> {
    const r = await ok(code);
    return r.out.status === "ok" ? r.out.value : undefined;
  }

  before(async () => {
    // Cells redirect process.stdout, which the test runner reports through: let the earlier suites' reports flush.
    await new Promise((res) => setTimeout(res, 200));
    await useBackend("cpu", { quiet: true });
    ts = new TypeScriptExecutor({ backend: false });
    layer = createMagicsLayer(ts, { redirectStreams: (io) => redirectStreams(io) });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-magics-fixes-"));
    await ok('import * as tf from "@tensorflow/tfjs";');
    tf.tidy(() => tf.ones([1]).add(1)); // tfjs's one-time Node banner, out of the way
  });
  beforeEach(() => new Promise((res) => setTimeout(res, 50)));
  after(() => {
    ts?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("%run of a module file defines its exported and private names and runs export default", async () => {
    const f = path.join(dir, "mod.ts");
    fs.writeFileSync(
      f,
      [
        "export const w = 5;",
        "const hidden = 2;",
        "export function scale(x: number): number { return x * w; }",
        "export class Box { constructor(readonly v: number) {} }",
        "export { hidden as shown };",
        "export default (globalThis as any).__runDefault = scale(hidden);",
      ].join("\n") + "\n",
    );
    const r = await ok(`%run ${f}`);
    assert.deepEqual(r.out, { status: "ok", hasValue: true, value: 10 });
    assert.deepEqual(await value("[w, hidden, scale(3), new Box(7).v, shown]"), [5, 2, 15, 7, 2]);
    assert.equal((globalThis as Record<string, unknown>).__runDefault, 10);
    delete (globalThis as Record<string, unknown>).__runDefault;
  });

  it("%run reports errors at the file's own line numbers", async () => {
    const typeErr = path.join(dir, "type-error.ts");
    fs.writeFileSync(typeErr, "export const ok1 = 1;\n\nexport const bad: number = 'text';\n");
    const t = await run(`%run ${typeErr}`);
    assert.equal(t.out.status, "error");
    // line 3, column of `bad` in the file (the blanked `export ` keeps it)
    const col = "export const bad".indexOf("bad") + 1;
    assert.match((t.out as { evalue: string }).evalue, new RegExp(`^3:${col} - Type 'string' is not assignable to type 'number'`));
    const thrower = path.join(dir, "throws.ts");
    fs.writeFileSync(thrower, "export function boom(): number {\n  throw new Error('boom');\n}\nexport const never = boom();\n");
    const e = await run(`%run ${thrower}`);
    assert.equal(e.out.status, "error");
    const tb = (e.out as { traceback: string[] }).traceback.join("\n");
    assert.match(tb, /line 2 of this cell/);
    assert.match(tb, /line 4 of this cell/);
  });

  it("%whos shows tfjs models, optimizers and histories briefly", async () => {
    await ok(
      [
        "const wmodel = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 2 })] });",
        "const wopt = tf.train.adam(0.01);",
      ].join("\n"),
    );
    const model = ts.locals.wmodel as tf.LayersModel;
    // Independent count: dense 3→4 has 3*4+4, dense 4→2 has 4*2+2 parameters.
    const params = 3 * 4 + 4 + (4 * 2 + 2);
    const r = await ok("%whos");
    assert.match(r.stdout, new RegExp(`\\nwmodel\\s+Sequential\\s+LayersModel: 2 layers, ${params} params\\n`));
    assert.match(r.stdout, /\nwopt\s+AdamOptimizer\s+Optimizer Adam, learningRate 0\.01\n/);
    assert.doesNotMatch(r.stdout, /_callHook|_addedWeightNames/);
    const h = new History();
    h.record(0, { loss: 1, val_loss: 2 });
    h.record(1, { loss: 0.5, val_loss: 1 });
    assert.deepEqual(describeValue(h), { type: "History", info: "2 epochs (loss, val_loss)" });
    assert.deepEqual(describeValue(tf.sequential()), { type: "Sequential", info: "LayersModel: 0 layers, not built" });
    model.dispose();
    await ok("wopt.dispose()");
  });

  it("%%sweep leaves neither the swept names nor the body's names in the notebook", async () => {
    await ok("%%sweep lamS=1,2,3 kS=10\nconst prodS = lamS * kS;\nprodS");
    assert.deepEqual(ts.locals._sweep && (ts.locals._sweep as { values: unknown }).values, [
      [1, 10, 10],
      [2, 10, 20],
      [3, 10, 30],
    ]);
    for (const name of ["lamS", "kS", "prodS"]) {
      assert.ok(!(name in ts.locals), `${name} is not a notebook variable`);
      assert.equal((await run(`typeof ${name}`)).out.status, "error", `${name} is not defined for later cells`);
    }
    // Runtime errors name the run; compile errors the body's line.
    const bad = await run("%%sweep lamE=1,2\nif (lamE > 1) throw new Error('too big');\nlamE");
    assert.match((bad.out as { evalue: string }).evalue, /^run 2\/2 \(lamE=2\): too big$/);
    const typeErr = await run("%%sweep lamT=1\nconst sT: string = lamT;\nsT.length");
    assert.match((typeErr.out as { evalue: string }).evalue, /does not compile.*2:\d+ - Type 'number' is not assignable to type 'string'/);
  });

  it("%%sweep with a line magic in the body still runs (and documents that its names stay)", async () => {
    const r = await ok("%%sweep lamM=1,2\n%time const qM = lamM * 3\nqM");
    assert.match(r.stdout, /\[2\/2\] lamM=2 → value=6/);
    assert.equal(await value("lamM"), 2);
    const help = await ok("%%sweep?");
    const page = help.out.status === "ok" ? help.out.payload?.[0] : undefined;
    assert.ok(page && page.source === "page", "help goes to the pager");
    assert.match(String(page.data["text/plain"]), /line magics.*stay bound/s);
  });
});
