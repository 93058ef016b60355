/**
 * Faults and bad input for `reglab run`: the stored-output truncation
 * policy, malformed notebook files, every nbformat 4.x minor through a real
 * reglab kernel, a kernel that dies (V8 heap limit), and one long notebook
 * (1,000+ cells, a refused process.exit(), unicode, 100,000 lines of
 * output) run with --allow-errors.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runCommand } from "../../../kernel/runner/run";
import { NotebookError, parseNotebook } from "../../../kernel/runner/notebook";
import { truncateStreams, type NbOutput, type StreamOutput } from "../../../kernel/runner/outputs";
import { CLI } from "../../support/paths";

const skip = fs.existsSync(CLI) ? false : `skipped: the reglab kernel is not built (${CLI} missing)`;

interface DiskCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: Array<Record<string, unknown>>;
  attachments?: unknown;
}
interface DiskNotebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: DiskCell[];
}
const join = (v: unknown): string => (Array.isArray(v) ? v.join("") : String(v ?? ""));
function streamText(c: DiskCell, name = "stdout"): string {
  return (c.outputs ?? []).map((o) => (o.output_type === "stream" && o.name === name ? join(o.text) : "")).join("");
}
function resultOf(c: DiskCell): string | undefined {
  const o = (c.outputs ?? []).find((x) => x.output_type === "execute_result");
  return o ? join((o.data as Record<string, unknown>)["text/plain"]) : undefined;
}
function errorOf(c: DiskCell): Record<string, unknown> | undefined {
  return (c.outputs ?? []).find((x) => x.output_type === "error");
}
function code(source: string): DiskCell {
  return { cell_type: "code", source, metadata: {}, execution_count: null, outputs: [] };
}
function lines(n: number, from = 0): string {
  let s = "";
  for (let i = from; i < from + n; i++) s += `line ${i}\n`;
  return s;
}

describe("stored output truncation (truncateStreams)", () => {
  it("keeps the first 4/5 and last 1/5 of a long stream with a marker", () => {
    const outs: NbOutput[] = [
      { output_type: "stream", name: "stdout", text: lines(10_000) },
      { output_type: "stream", name: "stderr", text: lines(50) },
      { output_type: "stream", name: "stdout", text: lines(1001) + "no newline" },
    ];
    const dropped = truncateStreams(outs, 1000);
    const out = outs as StreamOutput[];
    assert.equal(
      out[0].text,
      lines(800) +
        `… 9,000 lines truncated (reglab run keeps the first 800 and last 200 lines of a stream; --max-stream-lines) …\n` +
        lines(200, 9800),
    );
    assert.equal(out[1].text, lines(50), "short streams are untouched");
    const third = out[2].text.split("\n");
    assert.equal(third.length, 800 + 1 + 200, "1002 lines → 800 + marker + 200 (the last without newline)");
    assert.equal(third[third.length - 1], "no newline");
    assert.match(third[800], /^… 2 lines truncated/);
    assert.equal(dropped, 9000 + 2);
  });

  it("0 keeps everything; non-stream outputs are never touched", () => {
    const long = lines(5000);
    const outs: NbOutput[] = [
      { output_type: "stream", name: "stdout", text: long },
      { output_type: "display_data", data: { "text/plain": long }, metadata: {} },
    ];
    assert.equal(truncateStreams(outs, 0), 0);
    assert.equal((outs[0] as StreamOutput).text, long);
    truncateStreams(outs, 10);
    assert.equal((outs[1] as { data: Record<string, unknown> }).data["text/plain"], long);
  });
});

describe("malformed notebook files", () => {
  const good = JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: "code", id: "c1", source: "1", metadata: {}, outputs: [], execution_count: null }],
    },
    null,
    1,
  );
  it("are rejected with a NotebookError naming the problem, never a crash", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["a save cut in half", good.slice(0, Math.floor(good.length / 2)), /not valid JSON: .*line \d+, column \d+/],
      ["binary garbage", Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 256)).toString("latin1"), /not valid JSON/],
      ["200,000 nested arrays", "[".repeat(200_000) + "]".repeat(200_000), /not an object/],
      ["a null cell", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [null] }), /cell 1 is not an object/],
      ["a string minor version", JSON.stringify({ nbformat: 4, nbformat_minor: "5", metadata: {}, cells: [] }), /nbformat_minor/],
      [
        "outputs that are not a list",
        JSON.stringify({
          nbformat: 4,
          nbformat_minor: 5,
          metadata: {},
          cells: [{ cell_type: "code", source: "1", metadata: {}, outputs: 5 }],
        }),
        /"outputs" must be a list/,
      ],
    ];
    for (const [what, text, re] of cases) {
      assert.throws(
        () => parseNotebook(text, "x.ipynb"),
        (e: unknown) => e instanceof NotebookError && re.test(e.message),
        what,
      );
    }
  });

  it("a UTF-8 byte order mark is ignored with a warning", () => {
    const r = parseNotebook("\ufeff" + good, "bom.ipynb");
    assert.equal(r.notebook.cells[0].source, "1");
    assert.match(r.warnings.join("\n"), /byte order mark/);
  });
});

describe("reglab run under load and bad input", { skip, timeout: 170_000 }, () => {
  it("runs every nbformat 4.x minor (4.0-4.5) and writes each as 4.5 with its content", { timeout: 90_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-faults-minor-"));
    const out = path.join(dir, "out");
    try {
      for (let minor = 0; minor <= 5; minor++) {
        const cells: DiskCell[] = [
          { cell_type: "markdown", source: [`# nbformat 4.${minor}\n`, "é ✓"], metadata: {} },
          code(`const minor = ${minor};\nconsole.log("minor " + minor);\nminor * 10`),
          { cell_type: "raw", source: "raw text", metadata: { format: "text/plain" } },
        ];
        if (minor >= 5) cells.forEach((c, i) => (c.id = `cell-${i}`));
        const nb: DiskNotebook = { nbformat: 4, nbformat_minor: minor, metadata: { custom: { minor } }, cells };
        fs.writeFileSync(path.join(dir, `v4.${minor}.ipynb`), JSON.stringify(nb, null, 1));
      }
      const rc = await runCommand([dir, "--out", out, "--quiet"]);
      assert.equal(rc, 0);
      for (let minor = 0; minor <= 5; minor++) {
        const nb = JSON.parse(fs.readFileSync(path.join(out, `v4.${minor}.ipynb`), "utf8")) as DiskNotebook;
        assert.equal(nb.nbformat, 4);
        assert.equal(nb.nbformat_minor, 5, `4.${minor} is written as 4.5`);
        assert.deepEqual(nb.metadata.custom, { minor });
        assert.equal(nb.cells.length, 3);
        const ids = nb.cells.map((c) => c.id);
        assert.ok(
          ids.every((id) => typeof id === "string" && /^[a-zA-Z0-9-_]{1,64}$/.test(id)),
          `ids: ${ids.join(",")}`,
        );
        assert.equal(new Set(ids).size, 3);
        if (minor >= 5) assert.deepEqual(ids, ["cell-0", "cell-1", "cell-2"], "existing ids are kept");
        assert.equal(join(nb.cells[0].source), `# nbformat 4.${minor}\né ✓`);
        assert.equal(streamText(nb.cells[1]), `minor ${minor}\n`);
        assert.equal(resultOf(nb.cells[1]), String(minor * 10));
        assert.equal(join(nb.cells[2].source), "raw text");
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    "a kernel killed by V8's heap limit: the cell says so, earlier outputs are written, later cells cleared",
    { timeout: 60_000 },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-faults-oom-"));
      const saved = process.env.NODE_OPTIONS;
      try {
        const cells = [
          code('console.log("before")'),
          code("const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e5).fill(Math.random()));"),
          code('console.log("after")'),
        ];
        const file = path.join(dir, "oom.ipynb");
        fs.writeFileSync(
          file,
          JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: cells.map((c, i) => ({ ...c, id: `c${i}` })) }),
        );
        // A small heap so the kernel (a child of this process) reaches the limit in seconds.
        process.env.NODE_OPTIONS = "--max-old-space-size=200";
        const rc = await runCommand([file, "--quiet"]);
        assert.equal(rc, 1, "the notebook stopped early");
        const nb = JSON.parse(fs.readFileSync(path.join(dir, "oom.out.ipynb"), "utf8")) as DiskNotebook;
        assert.equal(streamText(nb.cells[0]), "before\n");
        const err = errorOf(nb.cells[1]);
        assert.equal(err?.ename, "KernelDied");
        assert.match((err?.traceback as string[]).join("\n"), /heap out of memory/);
        assert.deepEqual(nb.cells[2].outputs, []);
        assert.equal(nb.cells[2].execution_count, null);
      } finally {
        if (saved === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = saved;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("a 1,000-cell notebook with a refused process.exit(), unicode and 100,000 lines of output", { timeout: 150_000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-faults-big-"));
    try {
      const N = 1000;
      const cells: DiskCell[] = [
        code('const keep = "kept";'),
        code('console.log("before exit");\nprocess.exit(1);'),
        code('const 名前 = "🎉";\nconsole.log(名前 + " ünïcödé");'),
        code('console.log("start");\nfor (let i = 0; i < 100000; i++) console.log("line " + i);'),
      ];
      // Every 10th cell declares a variable (each declaration makes later cells slower to compile in tslab).
      for (let i = 0; i < N; i++) cells.push(code(i % 10 === 0 ? `const v${i} = ${i} * 3;\nv${i}` : `${i} * 3`));
      cells.push(code("[keep, v0 + v990, 名前].join(' ')"));
      const file = path.join(dir, "big.ipynb");
      fs.writeFileSync(
        file,
        JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: cells.map((c, i) => ({ ...c, id: `c${i}` })) }),
      );
      const t0 = Date.now();
      const rc = await runCommand([file, "--allow-errors", "--quiet"]);
      const seconds = (Date.now() - t0) / 1000;
      t.diagnostic(
        `${cells.length} cells in ${seconds.toFixed(1)} s ` +
          `(${((seconds * 1000) / cells.length).toFixed(1)} ms per cell, kernel start included)`,
      );
      assert.equal(rc, 0);
      const nb = JSON.parse(fs.readFileSync(path.join(dir, "big.out.ipynb"), "utf8")) as DiskNotebook;
      assert.equal(nb.cells.length, cells.length);
      // process.exit() was refused: its earlier output is kept, the kernel ran on.
      assert.equal(streamText(nb.cells[1]), "before exit\n");
      assert.equal(errorOf(nb.cells[1])?.ename, "ExitDisabledError");
      assert.equal(streamText(nb.cells[2]), "🎉 ünïcödé\n");
      // 100,001 lines stored as the first 1600 + marker + last 400 (default --max-stream-lines 2000).
      const stored = streamText(nb.cells[3]).split("\n");
      const all = ["start", ...lines(100_000).trimEnd().split("\n")];
      const dropped = all.length - 2000;
      assert.deepEqual(stored.slice(0, 1600), all.slice(0, 1600));
      assert.equal(
        stored[1600],
        `… ${dropped.toLocaleString("en-US")} lines truncated ` +
          "(reglab run keeps the first 1600 and last 400 lines of a stream; --max-stream-lines) …",
      );
      assert.deepEqual(stored.slice(1601, -1), all.slice(-400));
      for (let i = 0; i < N; i++) assert.equal(resultOf(nb.cells[4 + i]), String(i * 3), `cell ${4 + i}`);
      const counts = nb.cells.map((c) => c.execution_count);
      assert.deepEqual(
        counts,
        counts.map((_, i) => i + 1),
        "every cell ran once, in order",
      );
      assert.equal(resultOf(nb.cells[cells.length - 1]), `'kept ${0 + 990 * 3} 🎉'`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
