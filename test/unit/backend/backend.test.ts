import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { useBackend, availableBackends } from "../../../src/backend";
import { REPO_ROOT } from "../../support/paths";

const root = REPO_ROOT;

test("auto picks wasm when native tfjs-node is absent, and says why in one line", () => {
  const out = execFileSync(
    process.execPath,
    ["-e", `require(${JSON.stringify(path.join(root, "dist/src/index.js"))}).useBackend().then(c => console.log(JSON.stringify(c)))`],
    { encoding: "utf8", env: { ...process.env, REGLAB_BACKEND: "" } },
  );
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 2, out);
  assert.match(lines[0], /^reglab: backend wasm \(auto: .*tfjs-node.*\)$/);
  const choice = JSON.parse(lines[1]) as { backend: string };
  assert.equal(choice.backend, "wasm");
});

test("REGLAB_BACKEND selects the backend", () => {
  const out = execFileSync(
    process.execPath,
    ["-e", `const r=require(${JSON.stringify(path.join(root, "dist/src/index.js"))}); ` +
      "r.useBackend(undefined,{quiet:true}).then(() => console.log(r.tf.getBackend()))"],
    { encoding: "utf8", env: { ...process.env, REGLAB_BACKEND: "cpu" } },
  );
  assert.equal(out.trim(), "cpu");
});

test("explicit backends work; unknown and unavailable ones give clear errors", async () => {
  await useBackend("wasm", { quiet: true });
  assert.equal(tf.getBackend(), "wasm");
  const s = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).arraySync());
  assert.deepEqual(s, [[3, 3], [3, 3]]);
  await useBackend("cpu", { quiet: true });
  assert.equal(tf.getBackend(), "cpu");
  await assert.rejects(useBackend("gpu" as never), /Unknown backend "gpu"\. Choose one of: auto, tensorflow, wasm, cpu/);
  if (!availableBackends().includes("tensorflow")) {
    await assert.rejects(useBackend("tensorflow"), /tensorflow backend is not available.*wasm/);
  }
});

test("exactly one copy of tfjs-core is installed, and danfo shares it", () => {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 6 || !fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.isSymbolicLink()) continue;
      const p = path.join(dir, e.name);
      if (p.endsWith(path.join("@tensorflow", "tfjs-core")) && fs.existsSync(path.join(p, "package.json"))) found.push(p);
      walk(e.name === "node_modules" || e.name.startsWith("@") ? p : path.join(p, "node_modules"), depth + 1);
    }
  };
  walk(path.join(root, "node_modules"), 0);
  assert.deepEqual(found.map((p) => path.relative(root, p)), [path.join("node_modules", "@tensorflow", "tfjs-core")]);
  const dfd = require("danfojs-node") as { tensorflow: typeof tf };
  // danfo loads tfjs through an alias package, but it must be the same engine.
  assert.equal(dfd.tensorflow.Tensor, tf.Tensor);
  assert.equal(dfd.tensorflow.engine(), tf.engine());
});
