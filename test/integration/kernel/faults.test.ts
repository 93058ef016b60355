/**
 * Faults and bad input over the real protocol: after each one the kernel
 * answers the next request, output the cell produced before the fault is
 * delivered, and a variable defined before all of them is still there.
 * One kernel for the whole file (cwd outside the repo); the restart test
 * comes last and replaces it with a fresh kernel.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { kernelArgv } from "../../../kernel/kernelspec";
import { kernelEnv, useTestKernel, type TestKernel } from "../../support/kernel-fixture";
import { errorOf, resultText, streamText } from "../../support/cell-outputs";

let kc: KernelClient;
let dir: string;
let kernel: TestKernel;
const SENTINEL = "kept-" + Math.floor(Math.random() * 1e6);

function run(code: string, timeoutMs = 60_000): Promise<CellResult> {
  return executeCell(kc, code, { timeoutMs, stopOnError: false });
}
/** The kernel is alive, answers, and the variable from before the faults is intact. */
async function intact(): Promise<CellResult> {
  assert.ok(kc.isAlive(), "kernel alive");
  const r = await run("keepMe", 30_000);
  assert.equal(r.status, "ok", JSON.stringify(r.outputs));
  assert.equal(resultText(r), `'${SENTINEL}'`);
  return r;
}
/** Interrupt every 300 ms until the cell settles (a SIGINT before the loop starts is a no-op). */
async function interruptUntilDone(code: string): Promise<CellResult> {
  const p = run(code, 60_000);
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await new Promise((r) => setTimeout(r, 300));
    if (!done) await kc.interrupt();
  }
  return p;
}

useTestKernel("reglab-faults-", async (k) => {
  kernel = k;
  ({ kc, dir } = k);
  const r = await run(`const keepMe = ${JSON.stringify(SENTINEL)};\nimport { tf } from "reglab";`);
  assert.equal(r.status, "ok", JSON.stringify(r.outputs));
});

describe("faults in cells", { timeout: 150_000 }, () => {
  test("syntax and type errors leave earlier variables alone", { timeout: 30_000 }, async () => {
    for (const [code, ename] of [
      ["const broken = (;", "SyntaxError"],
      ["const n: number = 'not a number';", "TSError"],
      ["keepMe.noSuchMethod()", "TSError"],
    ] as const) {
      const r = await run(code);
      assert.equal(r.status, "error");
      assert.equal(errorOf(r).ename, ename, code);
      await intact();
    }
  });

  test("thrown non-Error values: output before the throw is delivered", { timeout: 30_000 }, async () => {
    for (const [code, shown] of [
      ["throw {a: 1}", /\{ a: 1 \}/],
      ["throw null", /^null$/],
      ["throw undefined", /^undefined$/],
      ["throw 'plain string'", /plain string/],
    ] as const) {
      const r = await run(`console.log("before throw");\n${code}`);
      assert.equal(r.status, "error", code);
      assert.equal(streamText(r.outputs), "before throw\n", code);
      const e = errorOf(r);
      assert.match(e.evalue, shown, code);
      assert.equal(r.reply.content.status, "error");
      await intact();
    }
  });

  test("an unhandled rejection is reported in the cell that made it, every time", { timeout: 30_000 }, async () => {
    // Repeated: before the fix the report raced the cell's idle status and was sometimes lost.
    for (let i = 0; i < 8; i++) {
      const r = await run(`console.log("before ${i}");\nPromise.reject(new Error("late ${i}"));\n${i}`);
      assert.equal(r.status, "ok");
      assert.equal(streamText(r.outputs), `before ${i}\n`);
      assert.equal(resultText(r), String(i));
      assert.match(streamText(r.outputs, "stderr"), new RegExp(`Unhandled promise rejection: Error: late ${i}\\n.*line 2 of this cell`));
    }
    await intact();
  });

  test("an exception thrown by a timer after its cell finished shows up once, on the next cell", { timeout: 30_000 }, async () => {
    const a = await run('setTimeout(() => { throw new Error("async boom") }, 10);\n"scheduled"');
    assert.equal(a.status, "ok");
    await new Promise((r) => setTimeout(r, 200));
    const b = await intact();
    const all = streamText(a.outputs, "stderr") + streamText(b.outputs, "stderr");
    assert.equal(all.split("Error: async boom").length - 1, 1, all);
    assert.match(all, /Uncaught exception: Error: async boom/);
  });

  test("an infinite loop and a long await, each interrupted", { timeout: 60_000 }, async () => {
    const loop = await interruptUntilDone('console.log("looping");\nlet spins = 0;\nwhile (true) { spins++; }');
    assert.equal(loop.status, "error");
    assert.equal(errorOf(loop).ename, "Interrupted");
    assert.equal(streamText(loop.outputs), "looping\n");
    await intact();
    const wait = await interruptUntilDone('console.log("waiting");\nawait new Promise((r) => setTimeout(r, 3_600_000));');
    assert.equal(wait.status, "error");
    assert.equal(errorOf(wait).ename, "Interrupted");
    assert.equal(streamText(wait.outputs), "waiting\n");
    await intact();
  });

  test("huge allocations fail with a RangeError and leak no tensor", { timeout: 60_000 }, async () => {
    const before = Number(resultText(await run("tf.memory().numTensors")));
    assert.ok(Number.isInteger(before));
    for (const code of ["tf.zeros([1e6, 1e6])", "new Uint8Array(2 ** 33)", "tf.ones([1e5, 1e5]).sum()"]) {
      const r = await run(`console.log("allocating");\n${code}`);
      assert.equal(r.status, "error", code);
      assert.equal(streamText(r.outputs), "allocating\n");
      const e = errorOf(r);
      assert.equal(e.ename, "RangeError", `${code}: ${e.evalue}`);
      assert.match(e.evalue, /length|memory|size/i);
      await intact();
    }
    assert.equal(Number(resultText(await run("tf.memory().numTensors"))), before);
  });

  test("unbounded recursion is a RangeError: Maximum call stack size exceeded", { timeout: 30_000 }, async () => {
    const r = await run("function recurse(): number { return recurse() + 1 }\nrecurse()");
    assert.equal(r.status, "error");
    const e = errorOf(r);
    assert.equal(e.ename, "RangeError");
    assert.equal(e.evalue, "Maximum call stack size exceeded");
    await intact();
  });

  test("a cell that crashes the TypeScript compiler (5,000 " +
    "nested parentheses) does not break later cells", { timeout: 30_000 }, async () => {
    const r = await run("(".repeat(5000) + "1" + ")".repeat(5000));
    assert.equal(r.status, "error");
    const e = errorOf(r);
    assert.match(e.evalue, /TypeScript compiler failed on this cell/);
    const later = await run("const afterCrash = keepMe.length;\nafterCrash");
    assert.equal(later.status, "ok", JSON.stringify(later.outputs));
    assert.equal(resultText(later), String(SENTINEL.length));
    await intact();
  });

  test("process.exit, process.abort and process.kill(self) are refused with a clear message", { timeout: 30_000 }, async () => {
    for (const code of [
      "process.exit()", "process.exit(3)", "process.abort()", "process.kill(process.pid)", 'process.kill(process.pid, "SIGKILL")',
      "process.kill(0)"
    ]) {
      const r = await run(`console.log("still here");\n${code}`);
      assert.equal(r.status, "error", code);
      assert.equal(streamText(r.outputs), "still here\n", code);
      const e = errorOf(r);
      assert.equal(e.ename, "ExitDisabledError", code);
      assert.match(e.evalue, /restart the kernel/);
      await intact();
    }
    // Existence checks are fine.
    assert.equal(resultText(await run("process.kill(process.pid, 0)")), "true");
    // From a timer after its cell: refused too, reported on the next cell.
    assert.equal((await run("setTimeout(() => process.exit(1), 5);\n1")).status, "ok");
    await new Promise((r) => setTimeout(r, 200));
    const next = await intact();
    assert.match(streamText(next.outputs, "stderr"), /ExitDisabledError: process\.exit\(\) is disabled/);
  });

  test("bad magic arguments are UsageErrors (or named errors), never crashes", { timeout: 30_000 }, async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["%timeit -n abc 1", "UsageError", /-n must be a positive integer/],
      ["%timeit -n", "UsageError", /option -n needs a value/],
      ["%seed abc", "UsageError", /integer/],
      ["%backend nope", "UsageError", /auto, tensorflow, wasm, cpu/],
      ["%%writefile\nbody", "UsageError", /one path/],
      ["%cd /nonexistent/reglab-fault", "OSError", /ENOENT/],
      ["%run missing-file.ts", "FileNotFoundError", /missing-file\.ts/],
      ["%config =", "UsageError", /cannot parse/],
      ["%sh", "UsageError", /needs a command/],
      ["%%sweep a=\n1", "UsageError", /no values/],
      ["%%capture 1 2 3\n1", "UsageError", /one optional variable name/],
      ["%%tfleak --bogus\n1", "UsageError", /unknown option --bogus/],
      ["%%vegalite --data noSuchVariable\n{}", "NameError", /noSuchVariable/],
      // bash itself rejects it (exit status 2), as a terminal would.
      ['%sh echo "unterminated', "CalledProcessError", /exit status 2/],
    ];
    for (const [code, ename, evalue] of cases) {
      const r = await run(code);
      assert.equal(r.status, "error", code);
      const e = errorOf(r);
      assert.equal(e.ename, ename, `${code}: ${e.evalue}`);
      assert.match(e.evalue, evalue, code);
    }
    await intact();
  });

  test("unicode and emoji in code, output and errors", { timeout: 30_000 }, async () => {
    const r = await run('const 名前 = "🎉";\nconsole.log(名前);\n名前 + "é"');
    assert.equal(r.status, "ok", JSON.stringify(r.outputs));
    assert.equal(streamText(r.outputs), "🎉\n");
    assert.equal(resultText(r), "'🎉é'");
    const err = await run('throw new Error("échec 💥 失敗")');
    assert.equal(errorOf(err).evalue, "échec 💥 失敗");
    await intact();
  });

  test("characters split across writes arrive whole (UTF-8 bytes, surrogate pairs, the 64 KiB flush)", { timeout: 30_000 }, async () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const code = [
      'const party = Buffer.from("🎉");',
      "process.stdout.write(party.subarray(0, 1));",
      "process.stdout.write(party.subarray(1, 3));",
      "process.stdout.write(party.subarray(3));",
      'process.stdout.write("|\\uD83D");',
      "await new Promise((r) => setTimeout(r, 30));",
      'process.stdout.write("\\uDE00|");',
      // 65,535 ASCII characters, then emoji: the size flush lands inside a surrogate pair.
      'process.stdout.write("x".repeat(65535) + "🙂".repeat(10) + "\\n");',
    ].join("\n");
    const r = await run(code);
    assert.equal(r.status, "ok", JSON.stringify(r.outputs).slice(0, 500));
    const expected = "🎉|😀|" + "x".repeat(65535) + "🙂".repeat(10) + "\n";
    assert.equal(streamText(r.outputs), expected);
    const chunks = r.iopub.filter((m) => m.header.msg_type === "stream").map((m) => String(m.content.text));
    assert.ok(chunks.length >= 2, "several stream messages");
    for (const c of chunks) assert.ok(!lone.test(c), `a stream message holds a lone surrogate: ${JSON.stringify(c.slice(-4))}`);
  });

  test("100,000 lines of output all reach a live client", { timeout: 60_000 }, async () => {
    const r = await run('console.log("start");\nfor (let i = 0; i < 100000; i++) console.log("line " + i);');
    assert.equal(r.status, "ok");
    const lines = streamText(r.outputs).split("\n");
    assert.equal(lines.length, 100_002); // start + 100,000 + the empty string after the last "\n"
    assert.equal(lines[1], "line 0");
    assert.equal(lines[100_000], "line 99999");
    await intact();
  });

  test("restart: shutdown_request with restart, then a fresh kernel works and the old state is gone", { timeout: 60_000 }, async () => {
    const reply = await kc.request("shutdown_request", { restart: true }, { channel: "control", timeoutMs: 10_000 });
    assert.equal(reply.header.msg_type, "shutdown_reply");
    assert.equal(reply.content.restart, true);
    const exit = await kc.exited;
    assert.equal(exit.code, 0, `the kernel exits cleanly: ${JSON.stringify(exit)}`);
    // The fixture stops whichever kernel its holder has at the end.
    kernel.kc = kc = await KernelClient.start({ argv: kernelArgv(), cwd: dir, env: kernelEnv() });
    const gone = await run("keepMe");
    assert.equal(gone.status, "error");
    assert.match(errorOf(gone).evalue, /Cannot find name 'keepMe'/);
    const fresh = await run("1 + 1");
    assert.equal(resultText(fresh), "2");
    assert.equal(fresh.executionCount, 2, "the count starts again");
  });
});
