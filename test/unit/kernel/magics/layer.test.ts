/**
 * The magics layer against a fake inner executor: dispatch, errors, help,
 * position mapping for completion/inspection, and the magics that do not
 * need TypeScript (files, env, shell, MIME cells, capture plumbing).
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import type { CellExecutor, CellIO, CellOutcome, CompletionResult, InspectResult } from "../../../../kernel/execution/types";
import type { DisplayContent } from "../../../../src/display/transport";
import { MagicsLayer, createMagicsLayer } from "../../../../kernel/magics/index";
import { defaultMagics } from "../../../../kernel/magics/all";

const HANDOFF_CELL = /^const ([A-Za-z_$][\w$]*): any = \(globalThis as any\)\[Symbol\.for\("reglab\.magics\.handoff"\)\];$/;

/** Records what reaches TypeScript; understands only the layer's variable-binding cell. */
class FakeInner implements CellExecutor {
  runs: string[] = [];
  log: string[];
  completes: Array<[string, number]> = [];
  inspects: Array<[string, number]> = [];
  completeChecks: string[] = [];
  resets = 0;
  interrupts = 0;
  locals: Record<string, unknown> = {};
  /** Per-code outcome; default ok without value. */
  outcomes = new Map<string, CellOutcome>();
  /** Output a run writes to its io. */
  writes = new Map<string, (io: CellIO) => void>();

  constructor(log: string[]) {
    this.log = log;
  }
  async run(code: string, io: CellIO): Promise<CellOutcome> {
    this.runs.push(code);
    this.log.push(`run:${code}`);
    const bind = HANDOFF_CELL.exec(code);
    if (bind) this.locals[bind[1]] = (globalThis as Record<symbol, unknown>)[Symbol.for("reglab.magics.handoff")];
    this.writes.get(code)?.(io);
    return this.outcomes.get(code) ?? { status: "ok", hasValue: false };
  }
  complete(code: string, cursorPos: number): CompletionResult {
    this.completes.push([code, cursorPos]);
    return { matches: ["x"], cursorStart: cursorPos, cursorEnd: cursorPos };
  }
  inspect(code: string, cursorPos: number): InspectResult {
    this.inspects.push([code, cursorPos]);
    return { found: true, data: { "text/plain": "inner" } };
  }
  isComplete(code: string): { status: "complete" | "incomplete" } {
    this.completeChecks.push(code);
    return { status: code.includes("{") && !code.includes("}") ? "incomplete" : "complete" };
  }
  interrupt(): void {
    this.interrupts++;
  }
  reset(): void {
    this.resets++;
    this.locals = {};
  }
  close(): void {}
}

interface Recorded {
  io: CellIO;
  stdout: () => string;
  stderr: () => string;
  displays: DisplayContent[];
}

function recorder(log: string[] = []): Recorded {
  let out = "";
  let err = "";
  const displays: DisplayContent[] = [];
  return {
    io: {
      stdout: (t) => {
        out += t;
        log.push(`out:${t}`);
      },
      stderr: (t) => {
        err += t;
      },
      display: (c) => {
        displays.push(c);
      },
    },
    stdout: () => out,
    stderr: () => err,
    displays,
  };
}

function errorOf(o: CellOutcome): { ename: string; evalue: string } {
  assert.equal(o.status, "error", `expected an error, got ${JSON.stringify(o)}`);
  return o as { ename: string; evalue: string };
}

describe("magics layer (fake inner)", () => {
  let log: string[];
  let inner: FakeInner;
  let layer: CellExecutor;
  beforeEach(() => {
    log = [];
    inner = new FakeInner(log);
    layer = createMagicsLayer(inner, { redirectStreams: null });
  });

  it("passes plain cells through unchanged, once", async () => {
    for (const code of ["const a = 1;\na", "const m = 7 % 3;\nm", "const s = `\n%who\n`;", "x %= 2"]) {
      inner.runs = [];
      const r = recorder();
      await layer.run(code, r.io);
      assert.deepEqual(inner.runs, [code]);
      assert.equal(r.stdout(), "");
    }
  });

  it("runs code and line magics in order and returns the last segment's value", async () => {
    inner.outcomes.set("a + 1", { status: "ok", hasValue: true, value: 2 });
    const r = recorder(log);
    const out = await layer.run("const a = 1;\n%pwd\na + 1", r.io);
    assert.deepEqual(out, { status: "ok", hasValue: true, value: 2 });
    assert.deepEqual(log, ["run:const a = 1;\n", "run:a + 1"]);
    const last = await layer.run("const a = 1;\n%pwd", recorder().io);
    assert.deepEqual(last, { status: "ok", hasValue: true, value: process.cwd() });
  });

  it("stops the cell at the first error", async () => {
    inner.outcomes.set("bad\n", { status: "error", ename: "TSError", evalue: "nope", traceback: [] });
    const out = await layer.run("bad\n%env REGLAB_T_STOP=1\nlater", recorder().io);
    assert.equal(errorOf(out).ename, "TSError");
    assert.deepEqual(inner.runs, ["bad\n"]);
    assert.equal(process.env.REGLAB_T_STOP, undefined);
  });

  it("names close matches for an unknown magic and keeps working", async () => {
    let e = errorOf(await layer.run("%tiemit 1", recorder().io));
    assert.equal(e.ename, "UsageError");
    assert.match(e.evalue, /`%tiemit` not found/);
    assert.match(e.evalue, /%timeit/);
    e = errorOf(await layer.run("%%captur x\n1", recorder().io));
    assert.match(e.evalue, /Cell magic function `%%captur` not found.*%%capture/);
    e = errorOf(await layer.run("%qqqqqqqq", recorder().io));
    assert.match(e.evalue, /%lsmagic/);
    const ok = await layer.run("%pwd", recorder().io);
    assert.equal(ok.status, "ok");
  });

  it("gives the usage for bad arguments", async () => {
    const bad: Array<[string, RegExp]> = [
      ["%timeit -n zero 1", /-n must be a positive integer[\s\S]*Usage: %timeit/],
      ["%timeit -r 0 1", /-r must be a positive integer/],
      ["%reset", /Usage: %reset -f/],
      ["%seed abc", /Usage: %seed/],
      ["%backend gpu", /Choose one of: auto, tensorflow, wasm, cpu/],
      ["%%writefile\ntext", /Usage: %%writefile/],
      ["%%tfleak --strict\n1", /unknown option --strict[\s\S]*Usage: %%tfleak/],
      ["%%sweep lr\n1", /expected name=v1,v2[\s\S]*Usage: %%sweep/],
      ["%%sweep lr=1 --seeds 3..1\n1", /--seeds needs a range/],
      ["%%sweep seed=1,2\n1", /reserved/],
      ["%%vegalite --data\n{}", /needs a value/],
      ["%sh", /Usage: %sh command/],
      ["%who extra", /Usage: %who/],
      ["%%html -x\n<b>", /takes no arguments/],
    ];
    for (const [code, re] of bad) {
      const e = errorOf(await layer.run(code, recorder().io));
      assert.equal(e.ename, "UsageError", code);
      assert.match(e.evalue, re, code);
    }
    assert.deepEqual(inner.runs, [], "no bad magic reached TypeScript");
  });

  it("%name?, %%name? and %name?? answer with a pager payload; expr? pages the inspection; %lsmagic lists every magic", async () => {
    const page = (out: CellOutcome): string => {
      assert.equal(out.status, "ok");
      const p = out.status === "ok" ? (out.payload ?? []) : [];
      assert.equal(p.length, 1);
      assert.equal(p[0].source, "page");
      return String(p[0].source === "page" ? p[0].data["text/plain"] : "");
    };
    let r = recorder();
    assert.match(page(await layer.run("%timeit?", r.io)), /^Usage: %timeit \[-n N\] \[-r R\] statement/);
    assert.match(page(await layer.run("%%sweep?", r.io)), /^Usage: %%sweep/);
    assert.match(page(await layer.run("%time??", r.io)), /^Usage: %time/);
    assert.equal(r.stdout(), "", "help is not printed as output");
    assert.deepEqual(layer.isComplete("abc?"), { status: "complete" });
    const before = inner.runs.length;
    await layer.run("someName?", r.io);
    assert.equal(inner.runs.length, before, "a help request is not run");
    r = recorder();
    await layer.run("%lsmagic", r.io);
    const reg = defaultMagics();
    for (const n of reg.lineNames()) assert.match(r.stdout(), new RegExp(`(^|\\s)%${n}(\\s|$)`));
    for (const n of reg.cellNames()) assert.match(r.stdout(), new RegExp(`(^|\\s)%%${n}(\\s|$)`));
  });

  it("maps completion and inspection positions past magic lines", () => {
    const code = "const abc = 1;\n%who\nab";
    layer.complete(code, code.length);
    const [seen, pos] = inner.completes[0];
    assert.equal(seen.length, code.length);
    assert.equal(pos, code.length);
    assert.equal(seen.slice(pos - 2, pos), "ab");
    assert.ok(!seen.includes("%"));
    // inside a TypeScript-bodied cell magic
    const cell = "%%time\nconst q = Math.ma";
    layer.complete(cell, cell.length);
    assert.equal(inner.completes[1][0], "      \nconst q = Math.ma");
    layer.inspect(code, code.length - 1, 0);
    assert.equal(inner.inspects[0][0].length, code.length);
    // a cell whose body is not TypeScript gets no TypeScript completion
    const html = layer.complete("%%html\n<b", 9);
    assert.deepEqual(html.matches, []);
  });

  it("completes and documents magic names", () => {
    const r = layer.complete("%tim", 4);
    assert.deepEqual([...r.matches].sort(), ["%%time", "%%timeit", "%time", "%timeit"]);
    assert.equal(r.cursorStart, 0);
    const later = layer.complete("1\n%tim", 6);
    assert.deepEqual([...later.matches].sort(), ["%time", "%timeit"], "cell magics only on the first line");
    const info = layer.inspect("%timeit -n 3 f()", 3, 0);
    assert.equal(info.found, true);
    assert.match(String(info.data["text/plain"]), /Usage: %timeit/);
  });

  it("isComplete ignores magic lines and non-TypeScript bodies", () => {
    assert.equal(layer.isComplete("%%html\n<div>").status, "complete");
    assert.equal(layer.isComplete("%%time\nfor (;;) {").status, "incomplete");
    assert.equal(layer.isComplete("%who").status, "complete");
  });

  it("%env sets, gets and lists", async () => {
    let r = recorder();
    await layer.run("%env REGLAB_T_ENV=hello world", r.io);
    assert.equal(process.env.REGLAB_T_ENV, "hello world");
    assert.equal(r.stdout(), "env: REGLAB_T_ENV=hello world\n");
    r = recorder();
    await layer.run("%env REGLAB_T_ENV", r.io);
    assert.equal(r.stdout(), "hello world\n");
    r = recorder();
    await layer.run("%env", r.io);
    assert.ok(r.stdout().split("\n").includes("REGLAB_T_ENV=hello world"));
    assert.equal(errorOf(await layer.run("%env REGLAB_T_UNSET_VAR", recorder().io)).ename, "UsageError");
    delete process.env.REGLAB_T_ENV;
  });

  it("%who, %whos and %reset -f use the inner namespace", async () => {
    inner.locals = {
      zeta: 1,
      alpha: [1, 2, 3],
      __hidden: 0,
      t: { shape: [2, 3], dtype: "float32", dataSync: () => [], isDisposed: false },
    };
    let r = recorder();
    await layer.run("%who", r.io);
    assert.equal(r.stdout(), "alpha\tt\tzeta\n");
    r = recorder();
    await layer.run("%whos", r.io);
    const lines = r.stdout().trimEnd().split("\n");
    assert.match(lines[0], /^Variable\s+Type\s+Data\/Info$/);
    assert.match(
      lines.find((l) => l.startsWith("alpha"))!,
      /Array\s+length 3/,
    );
    assert.match(
      lines.find((l) => l.startsWith("t "))!,
      /Tensor\s+float32 \[2, 3\]/,
    );
    await layer.run("%reset -f", recorder().io);
    assert.equal(inner.resets, 1);
    r = recorder();
    await layer.run("%who", r.io);
    assert.equal(r.stdout(), "Interactive namespace is empty.\n");
  });

  describe("files", () => {
    let dir: string;
    let cwd: string;
    beforeEach(() => {
      cwd = process.cwd();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-magics-"));
    });
    afterEach(() => {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("%%writefile writes, overwrites and appends", async () => {
      const f = path.join(dir, "a.txt");
      let r = recorder();
      await layer.run(`%%writefile ${f}\nline 1\n`, r.io);
      assert.equal(r.stdout(), `Writing ${f}\n`);
      r = recorder();
      await layer.run(`%%writefile ${f}\nline 2\n`, r.io);
      assert.equal(r.stdout(), `Overwriting ${f}\n`);
      r = recorder();
      await layer.run(`%%writefile -a ${f}\nline 3\n`, r.io);
      assert.equal(r.stdout(), `Appending to ${f}\n`);
      assert.equal(fs.readFileSync(f, "utf8"), "line 2\nline 3\n");
    });

    it("%cd, %pwd and %run", async () => {
      const r = recorder();
      await layer.run(`%cd ${dir}`, r.io);
      assert.equal(process.cwd(), fs.realpathSync(dir));
      assert.equal(r.stdout(), process.cwd() + "\n");
      assert.deepEqual(await layer.run("%pwd", recorder().io), { status: "ok", hasValue: true, value: process.cwd() });
      fs.writeFileSync(path.join(dir, "lib.ts"), "export const fromFile = 42;\n");
      await layer.run("%run lib.ts", recorder().io);
      assert.deepEqual(inner.runs, ["       const fromFile = 42;\n"]);
      const e = errorOf(await layer.run("%run missing.ts", recorder().io));
      assert.equal(e.ename, "FileNotFoundError");
      assert.equal(errorOf(await layer.run("%cd /nonexistent/dir", recorder().io)).ename, "OSError");
    });
  });

  it("%sh streams output and fails on a non-zero exit", async () => {
    let r = recorder();
    let out = await layer.run("%sh echo one; echo two >&2", r.io);
    assert.equal(out.status, "ok");
    assert.equal(r.stdout(), "one\n");
    assert.equal(r.stderr(), "two\n");
    r = recorder();
    out = await layer.run("%%sh\nprintf 'a\\n'\nexit 3", r.io);
    const e = errorOf(out);
    assert.equal(e.ename, "CalledProcessError");
    assert.match(e.evalue, /non-zero exit status 3/);
    assert.equal(r.stdout(), "a\n");
    assert.equal(errorOf(await layer.run("%sh false", recorder().io)).ename, "CalledProcessError");
  });

  it("%sh is interruptible", async () => {
    const p = layer.run("%sh sleep 20", recorder().io);
    await new Promise((res) => setTimeout(res, 300));
    layer.interrupt();
    const e = errorOf(await p);
    assert.equal(e.ename, "KeyboardInterrupt");
    assert.equal(inner.interrupts, 1);
  });

  it("%%html, %%markdown, %%md, %%latex and %%svg display their body", async () => {
    const cases: Array<[string, string]> = [
      ["html", "text/html"],
      ["markdown", "text/markdown"],
      ["md", "text/markdown"],
      ["latex", "text/latex"],
      ["svg", "image/svg+xml"],
    ];
    for (const [name, mime] of cases) {
      const r = recorder();
      const body = `<body of ${name}> $x^2$`;
      await layer.run(`%%${name}\n${body}`, r.io);
      assert.equal(r.displays.length, 1);
      assert.equal(r.displays[0].data[mime], body);
      assert.equal(typeof r.displays[0].data["text/plain"], "string");
    }
  });

  it("%%capture keeps outputs and binds them to a variable", async () => {
    const body = "say()";
    inner.writes.set(body, (io) => {
      io.stdout("hello\n");
      io.stderr("careful\n");
      io.display({ data: { "text/plain": "shown" }, metadata: {} }, false);
      io.stdout("again\n");
    });
    const r = recorder();
    const out = await layer.run(`%%capture cap\n${body}`, r.io);
    assert.equal(out.status, "ok");
    assert.equal(r.stdout() + r.stderr(), "");
    assert.equal(r.displays.length, 0);
    const cap = inner.locals.cap as { stdout: string; stderr: string; outputs: unknown[]; displays: DisplayContent[] };
    assert.equal(cap.stdout, "hello\nagain\n");
    assert.equal(cap.stderr, "careful\n");
    assert.equal(cap.outputs.length, 4);
    assert.equal(cap.displays[0].data["text/plain"], "shown");
    assert.ok(
      inner.runs.some((c) => c.startsWith("const cap: any")),
      "bound through the inner executor",
    );
  });

  it("runs line magics inside TypeScript cell bodies", async () => {
    const r = recorder();
    const out = await layer.run("%%capture cap2\n%sh echo nested\nafter()", r.io);
    assert.equal(out.status, "ok");
    assert.equal(r.stdout(), "");
    assert.equal((inner.locals.cap2 as { stdout: string }).stdout, "nested\n");
    assert.ok(inner.runs.includes("after()"));
    const t = recorder();
    await layer.run("%%time\n%env REGLAB_T_NESTED=1\nx()", t.io);
    assert.equal(process.env.REGLAB_T_NESTED, "1");
    assert.match(t.stdout(), /^env: REGLAB_T_NESTED=1\nCPU times:/);
    delete process.env.REGLAB_T_NESTED;
  });

  it("%%vegalite reports bad JSON with its position", async () => {
    const e = errorOf(await layer.run('%%vegalite\n{\n  "mark": "bar",\n}', recorder().io));
    assert.equal(e.ename, "JSONDecodeError");
    assert.match(e.evalue, /line 4, column 1/);
    const missing = errorOf(await layer.run('%%vegalite --data nothere\n{"mark": "bar"}', recorder().io));
    assert.equal(missing.ename, "NameError");
  });

  it("exposes the registry for other magics", () => {
    const l = new MagicsLayer(inner, { redirectStreams: null });
    assert.ok(l.registry.getLine("timeit"));
    assert.ok(l.registry.getCell("sweep"));
  });
});
