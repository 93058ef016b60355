/**
 * Every magic over the Jupyter protocol: a real reglab kernel process driven
 * by KernelClient. Failures (unknown magic, bad arguments, %sh false,
 * %%tfleak --fail) come back as error replies, and the kernel answers the
 * next request each time. Also the rich execute_result of last values.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { packageRoot } from "../../../kernel/kernelspec";
import type { NbOutput } from "../../../kernel/runner/outputs";
import { availableBackends } from "../../../src/backend";
import { useTestKernel } from "../../support/kernel-fixture";
import { streamText } from "../../support/cell-outputs";


function plain(o: NbOutput | undefined): string {
  assert.ok(o && (o.output_type === "execute_result" || o.output_type === "display_data"), JSON.stringify(o));
  const t = o.data["text/plain"];
  return Array.isArray(t) ? t.join("") : String(t);
}

describe("magics over the Jupyter protocol", () => {
  let k: KernelClient;
  let dir: string;

  async function ok(code: string): Promise<CellResult> {
    const r = await executeCell(k, code, { timeoutMs: 60_000 });
    assert.equal(r.status, "ok", `${code}\n→ ${JSON.stringify(r.outputs).slice(0, 800)}`);
    return r;
  }

  /** An error reply with this ename, then a plain request is answered. */
  async function fails(code: string, ename: string, evalue?: RegExp): Promise<CellResult> {
    const r = await executeCell(k, code, { timeoutMs: 60_000, stopOnError: false });
    assert.equal(r.status, "error", code);
    assert.equal(r.reply.content.ename, ename, `${code}: ${String(r.reply.content.evalue)}`);
    if (evalue) assert.match(String(r.reply.content.evalue), evalue);
    const err = r.outputs.find((o) => o.output_type === "error");
    assert.ok(err, "an error output is published");
    const next = await executeCell(k, "1 + 1", { timeoutMs: 30_000 });
    assert.equal(next.status, "ok", "the kernel answers the next request");
    assert.equal(plain(next.outputs.find((o) => o.output_type === "execute_result")), "2");
    return r;
  }

  // Under the package (in dist/, not tracked) so cells resolve tfjs and danfo from its node_modules.
  const parent = path.join(packageRoot(), "dist");
  useTestKernel(
    "tmp-magics-proto-",
    async (t) => {
      ({ kc: k, dir } = t);
      await ok('import * as tf from "@tensorflow/tfjs";\ntf.tidy(() => tf.ones([1]).add(1));');
    },
    { parent },
  );

  it("%lsmagic and %name? help", async () => {
    assert.match(streamText((await ok("%lsmagic")).outputs), /%timeit[\s\S]*%%sweep/);
    // Help goes to the pager (a payload of the reply), as IPython's; expr? pages the inspection.
    const help = await ok("%%capture?");
    assert.equal(streamText(help.outputs), "");
    const payload = help.reply.content.payload as Array<{ source: string; data: Record<string, string> }>;
    assert.equal(payload.length, 1);
    assert.equal(payload[0].source, "page");
    assert.match(payload[0].data["text/plain"], /^Usage: %%capture/);
    await ok("const pagedValue = 42;");
    const inspected = (await ok("pagedValue?")).reply.content.payload as Array<{ source: string; data: Record<string, string> }>;
    assert.match(inspected[0].data["text/plain"], /pagedValue: (number|42)/);
  });

  it("unknown magics and bad arguments are UsageErrors; the kernel stays up", async () => {
    await fails("%timit 1", "UsageError", /%timeit/);
    await fails("%%sweeep a=1\n1", "UsageError", /%%sweep/);
    await fails("%timeit -n -3 1", "UsageError", /Usage: %timeit/);
    await fails("%reset", "UsageError", /Usage: %reset -f/);
  });

  it("%time, %timeit and %%timeit", async () => {
    const t = await ok("%time 2 ** 10");
    assert.match(streamText(t.outputs), /^CPU times: user .+, sys: .+, total: .+\nWall time: .+\n$/);
    assert.equal(plain(t.outputs.find((o) => o.output_type === "execute_result")), "1024");
    assert.match(
      streamText((await ok("%timeit -n 10 -r 2 Math.sqrt(9)")).outputs), /per loop \(mean ± std\. dev\. of 2 runs, 10 loops each\)\n$/
    );
    const timed = await ok("%%timeit -n 2 -r 2\nconst m = tf.ones([8, 8]);\nm.matMul(m)");
    assert.match(streamText(timed.outputs), /of 2 runs, 2 loops each\)/);
  });

  it("%seed, %backend, %tfmem, %%tfleak", async () => {
    assert.equal(streamText((await ok("%seed 7")).outputs), "Seed set to 7\n");
    assert.equal(streamText((await ok("%seed")).outputs), "Seed: 7\n");
    // The default backend (auto: the first available one), then cpu by name.
    assert.match(streamText((await ok("%backend")).outputs), new RegExp(`^Current backend: ${availableBackends()[0]}\nAvailable: `));
    assert.equal(streamText((await ok("%backend cpu")).outputs), "Backend: cpu (requested)\n");
    assert.match(streamText((await ok("%tfmem")).outputs), /^Tensors: \d+\nBytes: .+\nBackend: cpu\n$/);
    assert.equal(streamText((await ok("%%tfleak\nconst kept = tf.zeros([4]);")).outputs), "tfleak: 1 tensor (16 B) leaked\n");
    await fails("%%tfleak --fail\nconst kept2 = tf.zeros([4]);", "TensorLeakError", /1 tensor \(16 B\)/);
  });

  it("%env, %who, %whos, %reset -f", async () => {
    assert.equal(streamText((await ok("%env REGLAB_PROTO=1")).outputs), "env: REGLAB_PROTO=1\n");
    assert.equal(plain((await ok("process.env.REGLAB_PROTO")).outputs.find((o) => o.output_type === "execute_result")), "'1'");
    await ok("const whoA = [1, 2, 3];");
    assert.match(streamText((await ok("%who")).outputs), /(^|\t)whoA(\t|\n)/);
    assert.match(streamText((await ok("%whos")).outputs), /\nwhoA\s+Array\s+length 3\n/);
    await ok("%reset -f");
    assert.equal(streamText((await ok("%who")).outputs), "Interactive namespace is empty.\n");
    await ok('import * as tf from "@tensorflow/tfjs";');
  });

  it("%%writefile, %run, %cd, %pwd", async () => {
    assert.equal(streamText((await ok("%%writefile mod.ts\nconst fromMod = 21 * 2;\n")).outputs), "Writing mod.ts\n");
    assert.equal(streamText((await ok("%%writefile mod.ts\nconst fromMod = 21 * 2;\n")).outputs), "Overwriting mod.ts\n");
    await ok("%run mod.ts");
    assert.equal(plain((await ok("fromMod")).outputs.find((o) => o.output_type === "execute_result")), "42");
    fs.mkdirSync(path.join(dir, "sub"));
    assert.equal(streamText((await ok("%cd sub")).outputs), fs.realpathSync(path.join(dir, "sub")) + "\n");
    assert.equal(
      plain((await ok("%pwd")).outputs.find((o) => o.output_type === "execute_result")), `'${fs.realpathSync(path.join(dir, "sub"))}'`
    );
    await ok(`%cd ${dir}`);
  });

  it("%sh and %%sh; a failing command is a CalledProcessError", async () => {
    assert.equal(streamText((await ok("%sh echo from-bash")).outputs), "from-bash\n");
    assert.equal(streamText((await ok("%%sh\necho a\necho b >&2")).outputs, "stderr"), "b\n");
    await fails("%sh false", "CalledProcessError", /exit status 1/);
  });

  it("%%sh is interruptible", async () => {
    const p = executeCell(k, "%sh sleep 30", { timeoutMs: 20_000, stopOnError: false });
    await new Promise((res) => setTimeout(res, 1000));
    await k.interrupt();
    const r = await p;
    assert.equal(r.status, "error");
    const next = await ok("3");
    assert.equal(plain(next.outputs.find((o) => o.output_type === "execute_result")), "3");
  });

  it("%%capture, then the variable in a later cell", async () => {
    const r = await ok('%%capture cap\nconsole.log("quiet");\n5');
    assert.deepEqual(r.outputs, []);
    assert.equal(plain((await ok("cap.stdout")).outputs.find((o) => o.output_type === "execute_result")), "'quiet\\n'");
    assert.equal(streamText((await ok("cap.show()")).outputs), "quiet\n");
  });

  it("%%html, %%markdown, %%latex, %%svg, %%vegalite", async () => {
    const mimes: Array<[string, string]> = [
      ["html", "text/html"], ["markdown", "text/markdown"], ["md", "text/markdown"], ["latex", "text/latex"], ["svg", "image/svg+xml"]
    ];
    for (const [name, mime] of mimes) {
      const r = await ok(`%%${name}\nbody-${name}`);
      const d = r.outputs.find((o) => o.output_type === "display_data");
      assert.ok(d && d.output_type === "display_data");
      assert.equal([d.data[mime]].flat().join(""), `body-${name}`);
    }
    await ok("const pts = [{x: 1, y: 1}, {x: 2, y: 4}];");
    const v = await ok(
      '%%vegalite --data pts\n{"mark": "line", "encoding": {"x": {"field": "x", ' +
        '"type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}'
    );
    const d = v.outputs.find((o) => o.output_type === "display_data");
    assert.ok(d && d.output_type === "display_data");
    assert.ok(d.data["application/vnd.vegalite.v5+json"]);
    await fails('%%vegalite\n{"mark": }', "JSONDecodeError", /line 2, column 10/);
  });

  it("%%sweep shows a table and binds _sweep", async () => {
    const r = await ok("%%sweep k=1,2,3\nk * k");
    assert.equal(streamText(r.outputs).trim().split("\n").length, 3);
    const d = r.outputs.find((o) => o.output_type === "display_data");
    assert.ok(d && d.output_type === "display_data" && d.data["text/html"]);
    const vals = await ok("_sweep.values");
    assert.match(
      plain(vals.outputs.find((o) => o.output_type === "execute_result")),
      /\[\s*\[\s*1,\s*1\s*\],\s*\[\s*2,\s*4\s*\],\s*\[\s*3,\s*9\s*\]\s*\]/
    );
  });

  it("%config Chart.width sets the chart theme", async () => {
    assert.equal(streamText((await ok("%config Chart.width=800")).outputs), "Chart.width = 800\n");
    assert.match(streamText((await ok("%config")).outputs), /Chart\.width = 800/);
    await fails("%config Chart.nonsense=1", "UsageError");
    await ok("%config Chart.width=640");
  });

  it("last values are rich execute_results", async () => {
    const t = await ok("tf.tensor([[1, 2], [3, 4]])");
    assert.match(plain(t.outputs.find((o) => o.output_type === "execute_result")), /^Tensor float32 \[2, 2\]\n\[\[1, 2\],\n \[3, 4\]\]$/);
    const f = await ok('import * as dfd from "danfojs-node";\nnew dfd.DataFrame([{a: 1}, {a: 2}])');
    const res = f.outputs.find((o) => o.output_type === "execute_result");
    assert.ok(res && res.output_type === "execute_result" && res.data["text/html"]);
  });

  it("completion works after a magic line", async () => {
    const code = "const zzLongName = 1;\n%who\nzzLong";
    await ok("const zzLongName = 1;");
    const r = await k.request("complete_request", { code, cursor_pos: code.length });
    assert.ok((r.content.matches as string[]).includes("zzLongName"), JSON.stringify(r.content));
    assert.equal(r.content.cursor_start, code.length - "zzLong".length);
  });
});
