/**
 * The kernel's process hooks: after loading each backend (wasm, cpu, and
 * tensorflow where its native binding is installed) and after a package adds
 * its own rethrowing error listeners, the kernel's listeners are the only
 * `uncaughtException`/`unhandledRejection` listeners, the removal is noted on
 * stderr naming the package, and an async error does not end the process.
 * Each case runs in a fresh Node process (the test runner has listeners of its own).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import path from "path";
import { availableBackends } from "../../../../src/backend";
import { listenerOrigin } from "../../../../kernel/execution/process-hooks";

const DIST = path.resolve(__dirname, "../../../..");

interface Probe {
  own: boolean;
  counts: Record<string, number>;
  backend: string;
  survived: boolean;
}

/** Run `body` (JS, may await) in a child after installing the hooks; it reports the listeners. */
function probe(body: string): { result: Probe; stderr: string } {
  const script = `
    const hooks = require(${JSON.stringify(path.join(DIST, "kernel/execution/process-hooks"))}).installProcessHooks();
    const { useBackend, currentBackend } = require(${JSON.stringify(path.join(DIST, "src/backend"))});
    (async () => {
      ${body}
      await new Promise((r) => setImmediate(r));
      const own = hooks.ownListeners();
      const evs = ["uncaughtException", "unhandledRejection"];
      const counts = Object.fromEntries(evs.map((e) => [e, process.listeners(e).length]));
      const isOwn = evs.every((e) => process.listeners(e).length === 1 && process.listeners(e)[0] === own[e]);
      // An async error after the load must not end the process.
      let survived = false;
      hooks.onAsyncError(() => { survived = true; });
      Promise.reject(new Error("probe"));
      await new Promise((r) => setTimeout(r, 50));
      process.stdout.write(JSON.stringify({ own: isOwn, counts, backend: currentBackend(), survived }) + "\\n");
    })();`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000, env: { ...process.env, REGLAB_BACKEND: "" } });
  assert.equal(r.status, 0, `child failed (status ${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return { result: JSON.parse(line) as Probe, stderr: r.stderr };
}

describe("process hooks own the error listeners", { timeout: 180_000 }, () => {
  for (const backend of availableBackends()) {
    test(`loading the ${backend} backend leaves only the kernel's listeners`, () => {
      const { result, stderr } = probe(`await useBackend(${JSON.stringify(backend)}, { quiet: true });`);
      assert.equal(result.backend, backend);
      assert.deepEqual(result.counts, { uncaughtException: 1, unhandledRejection: 1 });
      assert.ok(result.own, "the remaining listeners are the kernel's");
      assert.ok(result.survived, "an unhandled rejection after the load was reported, not fatal");
      if (backend === "wasm") {
        // The Emscripten glue's rethrowing listeners were found and removed, with a note naming the package.
        assert.match(stderr, /removed an uncaughtException listener added by @tensorflow\/tfjs-backend-wasm/);
        assert.match(stderr, /removed an unhandledRejection listener added by @tensorflow\/tfjs-backend-wasm/);
      }
    });
  }

  test("a listener added later by any code is removed; ours come back if something removes them", () => {
    const { result, stderr } = probe(`
      process.on("uncaughtException", (e) => { throw e; });
      await new Promise((r) => setImmediate(r));
      process.removeAllListeners("unhandledRejection");`);
    assert.deepEqual(result.counts, { uncaughtException: 1, unhandledRejection: 1 });
    assert.ok(result.own);
    assert.ok(result.survived);
    assert.match(stderr, /removed an uncaughtException listener added by /);
    assert.match(stderr, /put back the kernel's unhandledRejection listener/);
  });

  test("the origin of a listener is the package in the stack, a cell, or a file", () => {
    const frames = (at: string) =>
      "Error\n    at ProcessHooks.<anonymous> (/x/dist/kernel/execution/process-hooks.js:1:1)\n" +
      `    at process.emit (node:events:1:1)\n${at}`;
    const wasm = frames("    at f (/p/node_modules/@tensorflow/tfjs-backend-wasm/dist/a.js:3:4)");
    assert.equal(listenerOrigin(wasm), "@tensorflow/tfjs-backend-wasm");
    assert.equal(listenerOrigin(frames("    at g (/p/node_modules/left-pad/index.js:3:4)")), "left-pad");
    assert.equal(listenerOrigin(frames("    at __reglab_cell_3__:2:1")), "a cell");
    assert.equal(listenerOrigin(frames("    at h (/home/u/script.js:9:1)")), "/home/u/script.js");
  });
});
