/**
 * Notebooks outside the checkout: reglab's dependencies by their own names
 * (danfojs-node, @tensorflow/tfjs), one tfjs engine whichever way a cell
 * imports it, top-level variables whose types come from those packages
 * (tslab emits declarations, so the types must be nameable), a package in
 * the notebook folder's own node_modules winning, and `reglab kernel`
 * tolerating the extra arguments `jupyter run` appends.
 *
 * Over the real protocol; kernel cwd = fresh temp dirs outside the repo.
 * Plus unit tests of the path mapping on a synthetic package tree.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { PackageMirror, isBareSpecifier, splitPackagePath } from "../../../kernel/execution/resolve-reglab";
import { REPO_ROOT } from "../../support/paths";
import { useTestKernel } from "../../support/kernel-fixture";
import { streamText } from "../../support/cell-outputs";

const repo = REPO_ROOT;

function ok(r: CellResult): CellResult {
  assert.equal(r.status, "ok", JSON.stringify(r.outputs));
  return r;
}
function tmp(prefix: string): string {
  // realpath: /tmp may be a symlink; the kernel sees its cwd resolved.
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}
function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe("a notebook folder with no node_modules", () => {
  let kc: KernelClient;
  let dir: string;
  useTestKernel("reglab-resolve-", (k) => {
    ({ kc, dir } = k);
    assert.ok(!dir.startsWith(repo + path.sep), "the notebook folder must be outside the checkout");
  });

  test("historyToFrame's DataFrame as a top-level variable, used by a later cell", async () => {
    const r = ok(
      await executeCell(
        kc,
        'import { historyToFrame } from "reglab";\nconst h = { loss: [1, 0.5] ' +
          '};\nconst hf = historyToFrame(h);\nconsole.log(JSON.stringify(hf.columns))',
        { timeoutMs: 120_000 }
      )
    );
    assert.deepEqual(JSON.parse(streamText(r.outputs)), ["epoch", "loss"]);
    // The next cell sees `hf` through tslab's emitted declaration of the previous cell.
    const r2 = ok(await executeCell(kc, "console.log(hf.shape.join('x'))"));
    assert.equal(streamText(r2.outputs), "2x2\n");
  });

  test("import danfojs-node by its own name; a DataFrame top-level variable; one DataFrame type", async () => {
    const r = ok(
      await executeCell(kc, 
        'import * as dfd from "danfojs-node";\nconst df = new dfd.DataFrame({ a: [1, 2, 3] });\n' +
          "const same: dfd.DataFrame = hf;\nconsole.log(df.shape.join('x'), same.shape.join('x'))",
        { timeoutMs: 60_000 },
      ),
    );
    assert.equal(streamText(r.outputs), "3x1 2x2\n");
  });

  test("import @tensorflow/tfjs: the module reglab uses, one engine (also danfo's)", async () => {
    const r = ok(
      await executeCell(kc, 
        'import * as tfjs from "@tensorflow/tfjs";\nimport { tf } from "reglab";\n' +
          "const t = tfjs.tensor([1, 2, 3]);\nconst sameType: tf.Tensor = t;\n" +
          'console.log(JSON.stringify([tfjs.engine() === tf.engine(), t instanceof tf.Tensor, ' +
            'dfd.tensorflow.engine() === tf.engine(), require.resolve("@tensorflow/tfjs")]))',
        { timeoutMs: 60_000 },
      ),
    );
    const [sameEngine, sameClass, danfoEngine, resolved] = JSON.parse(streamText(r.outputs)) as [boolean, boolean, boolean, string];
    assert.equal(sameEngine, true);
    assert.equal(sameClass, true);
    assert.equal(danfoEngine, true);
    // Independently: the copy this repo resolves.
    assert.equal(resolved, require.resolve("@tensorflow/tfjs", { paths: [repo] }));
  });

  test("a package nobody has is still an error naming it", async () => {
    const r = await executeCell(kc, 'import * as nope from "reglab-no-such-package-xyz";');
    assert.equal(r.status, "error");
    assert.match(JSON.stringify(r.outputs), /reglab-no-such-package-xyz/);
  });
});

describe("a notebook folder with its own node_modules/danfojs-node; kernel started with extra arguments", () => {
  let kc: KernelClient;
  const localDanfo = (d: string) => {
    const pkg = path.join(d, "node_modules", "danfojs-node");
    const manifest = { name: "danfojs-node", version: "0.0.1-local", main: "index.js", types: "index.d.ts" };
    write(path.join(pkg, "package.json"), JSON.stringify(manifest));
    write(path.join(pkg, "index.js"), 'exports.origin = "local copy";\n');
    write(path.join(pkg, "index.d.ts"), "export declare const origin: string;\n");
  };
  // What `jupyter run --kernel=reglab s.ts` does: append the front end's extra arguments.
  const extraArgs = ["s.ts", "--some-flag=1", "more"];
  useTestKernel("reglab-resolve-local-", (k) => ({ kc } = k), { prepare: localDanfo, extraArgs });

  test("the kernel starts and warns once about the ignored arguments", async () => {
    const info = await kc.request("kernel_info_request", {});
    assert.equal(info.content.implementation, "reglab");
    const warnings = kc.kernelStderr.split("\n").filter((l) => /ignoring extra arguments/.test(l));
    assert.equal(warnings.length, 1, kc.kernelStderr);
    for (const a of ["s.ts", "--some-flag=1", "more"]) assert.ok(warnings[0].includes(JSON.stringify(a)), warnings[0]);
  });

  test("the local package wins, for types and at run time", async () => {
    // `origin` exists only in the local copy's .d.ts: a type error if the real danfo's types were used.
    const r = ok(await executeCell(kc, 'import { origin } from "danfojs-node";\nconsole.log(origin)'));
    assert.equal(streamText(r.outputs), "local copy\n");
  });

  test("packages the folder lacks still fall back to reglab's; reglab keeps its own danfo", async () => {
    const r = ok(
      await executeCell(kc, 
        'import * as tfjs from "@tensorflow/tfjs";\nimport { tf, historyToFrame } from "reglab";\n' +
          "console.log(tfjs.engine() === tf.engine(), historyToFrame({ loss: [3, 2, 1] }).shape.join('x'))",
        { timeoutMs: 120_000 },
      ),
    );
    assert.equal(streamText(r.outputs), "true 3x2\n");
  });
});

describe("path mapping (synthetic trees)", () => {
  let base: string;
  let R: string;
  let D: string;
  before(() => {
    base = tmp("reglab-mirror-");
    R = path.join(base, "pkg");
    D = path.join(base, "notebooks", "ch7");
    for (const p of [
      "p/index.d.ts", "q/index.d.ts", "r/index.d.ts", "p/node_modules/r/index.d.ts", "@s/t/index.d.ts"
    ]) write(path.join(R, "node_modules", p), "");
    write(path.join(base, "notebooks", "node_modules", "q", "index.d.ts"), ""); // the user's q, one level up
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  test("splitPackagePath and isBareSpecifier", () => {
    const nm = path.join("/a", "node_modules");
    assert.deepEqual(splitPackagePath("/a/node_modules/x/lib/i.d.ts", nm), { name: "x", rest: "lib/i.d.ts" });
    assert.deepEqual(splitPackagePath("/a/node_modules/@s/t/i.d.ts", nm), { name: "@s/t", rest: "i.d.ts" });
    assert.deepEqual(splitPackagePath("/a/node_modules/@s", nm), { name: "@s", rest: "" });
    assert.equal(splitPackagePath("/b/node_modules/x/i.d.ts", nm), null);
    assert.equal(splitPackagePath("/a/src/i.ts", nm), null);
    for (const s of ["lodash", "@s/t", "lodash/fp"]) assert.equal(isBareSpecifier(s), true, s);
    for (const s of ["./x", "../x", "/abs/x", "node:fs", "file:///x"]) assert.equal(isBareSpecifier(s), false, s);
  });

  test("packages only R has are mirrored at D/node_modules, both ways", () => {
    const m = new PackageMirror(R, D);
    const nm = (root: string, ...p: string[]) => path.join(root, "node_modules", ...p);
    assert.equal(m.toReal(nm(D, "p", "index.d.ts")), nm(R, "p", "index.d.ts"));
    assert.equal(m.toVirtual(nm(R, "p", "index.d.ts")), nm(D, "p", "index.d.ts"));
    assert.equal(m.toReal(nm(D, "@s", "t", "index.d.ts")), nm(R, "@s", "t", "index.d.ts"));
    assert.equal(m.toVirtual(nm(R, "@s", "t", "index.d.ts")), nm(D, "@s", "t", "index.d.ts"));
    assert.equal(m.toReal(nm(D, "@s")), nm(R, "@s"), "a scope folder the user lacks");
    // p's nested r is p's own copy.
    assert.equal(m.toReal(nm(D, "p", "node_modules", "r", "index.d.ts")), nm(R, "p", "node_modules", "r", "index.d.ts"));
    assert.equal(m.toVirtual(nm(R, "p", "node_modules", "r", "index.d.ts")), nm(D, "p", "node_modules", "r", "index.d.ts"));
  });

  test("the user's package (anywhere up D's chain) wins; a mirrored package still gets R's copy of it", () => {
    const m = new PackageMirror(R, D);
    const nm = (root: string, ...p: string[]) => path.join(root, "node_modules", ...p);
    assert.equal(m.isVirtual("q"), false);
    assert.equal(m.toReal(nm(D, "q", "index.d.ts")), nm(D, "q", "index.d.ts"));
    assert.equal(m.toVirtual(nm(R, "q", "index.d.ts")), nm(R, "q", "index.d.ts"));
    // p (mirrored) requires q: at run time it loads R's q, so its types must too.
    assert.equal(m.toReal(nm(D, "p", "node_modules", "q", "index.d.ts")), nm(R, "q", "index.d.ts"));
    // Paths that are not packages are left alone.
    assert.equal(m.toReal(path.join(D, "x.ts")), path.join(D, "x.ts"));
    assert.equal(m.toVirtual(path.join(R, "dist", "x.d.ts")), path.join(R, "dist", "x.d.ts"));
  });

  test("R's node_modules may be a symlink: realpaths under its target are mirrored", () => {
    const R2 = path.join(base, "pkg2");
    fs.mkdirSync(R2);
    fs.symlinkSync(path.join(R, "node_modules"), path.join(R2, "node_modules"));
    const m = new PackageMirror(R2, D);
    const real = fs.realpathSync(path.join(R2, "node_modules", "p", "index.d.ts"));
    assert.equal(real, path.join(R, "node_modules", "p", "index.d.ts"));
    assert.equal(m.toVirtual(real), path.join(D, "node_modules", "p", "index.d.ts"));
    assert.equal(m.toReal(path.join(D, "node_modules", "p", "index.d.ts")), path.join(R2, "node_modules", "p", "index.d.ts"));
  });

  test("a notebook inside the package mirrors nothing", () => {
    const m = new PackageMirror(R, path.join(R, "notebooks"));
    const p = path.join(R, "node_modules", "p", "index.d.ts");
    assert.equal(m.isVirtual("p"), false);
    assert.equal(m.toVirtual(p), p);
    const q = path.join(R, "notebooks", "node_modules", "p", "index.d.ts");
    assert.equal(m.toReal(q), q);
  });
});
