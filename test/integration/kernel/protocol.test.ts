/**
 * The reglab kernel over the real protocol (ZeroMQ + HMAC), driven by
 * KernelClient. One kernel, started in a temp dir OUTSIDE the repo (so
 * `import "reglab"` must resolve through the kernel's own mapping).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { frameAs } from "../../support/wire-frames";
import { useTestKernel } from "../../support/kernel-fixture";
import type { Message } from "../../../kernel/protocol/wire";
import { errorOf, resultText, streamText } from "../../support/cell-outputs";

let kc: KernelClient;
let dir: string;

function states(iopub: Message[]): string[] {
  return iopub.filter((m) => m.header.msg_type === "status").map((m) => String(m.content.execution_state));
}
async function expectHealthy(marker: string): Promise<void> {
  const r = await executeCell(kc, `console.log(${JSON.stringify(marker)})`, { timeoutMs: 30_000 });
  assert.equal(r.status, "ok");
  assert.equal(streamText(r.outputs), marker + "\n");
  const msgId = (r.reply.parent_header as { msg_id: string }).msg_id;
  for (const m of r.iopub) assert.equal((m.parent_header as { msg_id: string }).msg_id, msgId);
  assert.deepEqual(states(r.iopub), ["busy", "idle"]);
  assert.ok(!r.outputs.some((o) => o.output_type === "error"), "a healthy cell has no error output");
}

useTestKernel("reglab-kernel-test-", (k) => ({ kc, dir } = k));

describe("kernel over ZeroMQ", () => {
  test("kernel_info", async () => {
    const r = await kc.request("kernel_info_request", {});
    assert.equal(r.header.msg_type, "kernel_info_reply");
    assert.equal(r.content.implementation, "reglab");
    const li = r.content.language_info as Record<string, unknown>;
    assert.equal(li.name, "typescript");
    assert.equal(li.file_extension, ".ts");
    assert.equal(li.mimetype, "text/typescript");
  });

  test("import reglab from a directory outside the repo; stdout and Out value", async () => {
    const r = await executeCell(kc, 'import { seed } from "reglab";\nseed(7);\nconsole.log("drawn");\nMath.random()');
    assert.equal(r.status, "ok", JSON.stringify(r.outputs));
    assert.equal(streamText(r.outputs), "drawn\n");
    // Independent: the same seeded generator in this process.
    const { seed, unseed } = require("../../../src/random/seed") as typeof import("../../../src/random/seed");
    seed(7);
    const expected = Math.random();
    unseed();
    assert.equal(Number(resultText(r)), expected);
    assert.equal(typeof r.executionCount, "number");
    const res = r.outputs.find((o) => o.output_type === "execute_result");
    assert.ok(res && res.output_type === "execute_result" && res.execution_count === r.executionCount);
  });

  test("an iopub listener that throws does not stop the client: the next cells still finish", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    const off = kc.onIopub(() => {
      throw new Error("listener bug");
    });
    try {
      const r = await executeCell(kc, "40 + 2", { timeoutMs: 30_000 });
      assert.equal(resultText(r), "42");
    } finally {
      off();
    }
    assert.equal(resultText(await executeCell(kc, "1 + 2", { timeoutMs: 30_000 })), "3");
    await new Promise((r) => setImmediate(r));
    process.off("warning", onWarning);
    assert.ok(warnings.some((w) => /an iopub listener failed/.test(w)), warnings.join("\n"));
  });

  test("strings are shown quoted; no execute_result for undefined", async () => {
    assert.equal(resultText(await executeCell(kc, "'a' + 'b'")), "'ab'");
    assert.equal(resultText(await executeCell(kc, "let nothing = undefined; nothing")), undefined);
  });

  test("type error reports the cell line, then the kernel runs on", async () => {
    const r = await executeCell(kc, "const fine = 1;\nconst s: string = 42;");
    assert.equal(r.status, "error");
    assert.equal(r.reply.content.ename, "TSError");
    assert.match(String(r.reply.content.evalue), /^2:\d+ - .*not assignable/);
    assert.equal(errorOf(r).ename, "TSError");
    await expectHealthy("after type error");
  });

  test("syntax error", async () => {
    const r = await executeCell(kc, "let q = (;");
    assert.equal(r.status, "error");
    assert.equal(errorOf(r).ename, "SyntaxError");
    await expectHealthy("after syntax error");
  });

  test("thrown Error: traceback names the cell line", async () => {
    const r = await executeCell(kc, "const a1 = 1;\nconst a2 = 2;\nthrow new Error('on line three');");
    assert.equal(r.status, "error");
    const e = errorOf(r);
    assert.equal(e.ename, "Error");
    assert.equal(e.evalue, "on line three");
    assert.match(e.traceback.join("\n"), /line 3 of this cell/);
    await expectHealthy("after throw");
  });

  test("error inside a function defined in an earlier cell", async () => {
    await executeCell(
      kc, "function explode(n: number): number {\n  if (n > 0) {\n    throw new RangeError('deep ' + n);\n  }\n  return n;\n}"
    );
    const r = await executeCell(kc, "\nexplode(5)");
    const e = errorOf(r);
    assert.equal(e.ename, "RangeError");
    const tb = e.traceback.join("\n");
    assert.match(tb, /line 3 of an earlier cell/);
    assert.match(tb, /line 2 of this cell/);
  });

  test("thrown non-Error value", async () => {
    const r = await executeCell(kc, "throw 42");
    assert.equal(r.status, "error");
    assert.equal(errorOf(r).evalue, "42");
    await expectHealthy("after throw 42");
  });

  test("rejected promise", async () => {
    const r = await executeCell(kc, 'await Promise.reject(new Error("x"))');
    assert.equal(r.status, "error");
    assert.equal(errorOf(r).evalue, "x");
    await expectHealthy("after rejection");
  });

  test("unhandled async errors after a cell do not kill the kernel", async () => {
    const r = await executeCell(
      kc, "setTimeout(() => { throw new Error('late boom'); }, 0);\nPromise.reject(new Error('late reject'));\n1"
    );
    assert.equal(r.status, "ok");
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(kc.isAlive());
    await expectHealthy("after async errors");
  });

  test("stop_on_error true aborts the requests queued behind the failure", async () => {
    const fail = executeCell(kc, 'await new Promise((r) => setTimeout(r, 300));\nthrow new Error("fail")', { stopOnError: true });
    const q1 = executeCell(kc, 'console.log("q1")');
    const q2 = executeCell(kc, 'console.log("q2")');
    const [f, r1, r2] = await Promise.all([fail, q1, q2]);
    assert.equal(f.status, "error");
    assert.equal(r1.status, "abort");
    assert.equal(r2.status, "abort");
    assert.equal(streamText(r1.outputs) + streamText(r2.outputs), "");
    assert.deepEqual(states(r1.iopub), ["busy", "idle"]);
    await expectHealthy("after abort");
  });

  test("stop_on_error false lets queued requests run", async () => {
    const fail = executeCell(kc, 'await new Promise((r) => setTimeout(r, 300));\nthrow new Error("fail")', { stopOnError: false });
    const q1 = executeCell(kc, 'console.log("q1")');
    const q2 = executeCell(kc, 'console.log("q2")');
    const [f, r1, r2] = await Promise.all([fail, q1, q2]);
    assert.equal(f.status, "error");
    assert.equal(r1.status, "ok");
    assert.equal(streamText(r1.outputs), "q1\n");
    assert.equal(r2.status, "ok");
    assert.equal(streamText(r2.outputs), "q2\n");
  });

  test("silent and store_history:false do not advance the execution count", async () => {
    const a = await executeCell(kc, "1");
    const s = await executeCell(kc, 'console.log("hidden"); 2', { silent: true });
    assert.equal(s.outputs.length, 0);
    const n = await executeCell(kc, "3", { storeHistory: false });
    const b = await executeCell(kc, "4");
    assert.equal(n.outputs.length, 1);
    assert.equal(b.executionCount, (a.executionCount ?? NaN) + 1);
  });

  /** Interrupt until the cell settles: a SIGINT that lands before the loop starts is a no-op. */
  async function interruptUntilDone(code: string): Promise<CellResult> {
    const p = executeCell(kc, code);
    let done = false;
    void p.finally(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 300));
      if (!done) await kc.interrupt();
    }
    return p;
  }

  test("interrupt a busy synchronous loop", async () => {
    const r = await interruptUntilDone("console.log('spinning');\nwhile (true) {}");
    assert.equal(r.status, "error");
    assert.equal(errorOf(r).ename, "Interrupted");
    assert.equal(streamText(r.outputs), "spinning\n");
    assert.deepEqual(states(r.iopub), ["busy", "idle"]);
    await expectHealthy("after sync interrupt");
  });

  test("interrupt a pending await", async () => {
    const r = await interruptUntilDone("await new Promise(() => {})");
    assert.equal(r.status, "error");
    assert.equal(errorOf(r).ename, "Interrupted");
    await expectHealthy("after await interrupt");
  });

  test("is_complete", async () => {
    const inc = await kc.request("is_complete_request", { code: "if (x) {" });
    assert.equal(inc.content.status, "incomplete");
    const ok = await kc.request("is_complete_request", { code: "const z = 1 + 1;" });
    assert.equal(ok.content.status, "complete");
  });

  test("complete and inspect, including the reglab module", async () => {
    await executeCell(kc, 'import * as reglab from "reglab"');
    const code = "reglab.";
    const c = await kc.request("complete_request", { code, cursor_pos: code.length });
    const matches = c.content.matches as string[];
    assert.ok(matches.includes("seed"), `matches: ${matches.slice(0, 20).join(",")}`);
    assert.ok(matches.includes("useBackend"));
    assert.equal(c.content.cursor_start, code.length);
    const i = await kc.request("inspect_request", { code: "Math.max", cursor_pos: 6, detail_level: 0 });
    assert.equal(i.content.found, true);
    assert.match(String((i.content.data as Record<string, unknown>)["text/plain"]), /max/);
  });

  test("comm_info and history", async () => {
    const c = await kc.request("comm_info_request", {});
    assert.equal(c.header.msg_type, "comm_info_reply");
    assert.deepEqual(c.content.comms, {});
    // This session's stored cells, newest last: [session, execution count, code].
    await executeCell(kc, 'const historyMarker = "h"');
    const h = await kc.request("history_request", { hist_access_type: "tail", n: 3, output: false, raw: true });
    const history = h.content.history as Array<[number, number, string]>;
    assert.equal(history.length, 3);
    assert.equal(history[2][2], 'const historyMarker = "h"');
    assert.ok(history[1][1] < history[2][1], "ordered by execution count");
  });

  test("a message with a bad HMAC is not executed", async () => {
    const marker = path.join(dir, "hacked.txt");
    const { frames } = frameAs(kc, "execute_request", {
      code: `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
    const sig = frames[at + 1].toString();
    frames[at + 1] = Buffer.from((sig[0] === "0" ? "1" : "0") + sig.slice(1));
    await kc.sendRaw("shell", frames);
    // A request sent after it is handled after it (one serial queue).
    await expectHealthy("after bad hmac");
    assert.equal(fs.existsSync(marker), false);
    assert.match(kc.kernelStderr, /rejected a message on shell: invalid HMAC/);
  });
});
