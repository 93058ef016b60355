/** The magics parser: what is a magic and what is TypeScript left alone. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blankMagics, findLineMagics, mayHaveMagic, parseCell } from "../../../../kernel/magics/parse";
import { parseMagicOptions, splitArgs } from "../../../../kernel/options";
import { formatG, formatTime } from "../../../../kernel/magics/format";

const names = (code: string): string[] => findLineMagics(code).map((m) => m.name);

describe("magics parser", () => {
  it("leaves % in expressions, strings, comments and templates alone", () => {
    const cases = [
      "const a = 7 % 3;",
      "let x = 10;\nx %= 2",
      'const s = "%time";\n',
      "const s = '%time\\n%who';",
      "// %time 1\n/* %who\n%whos */ 1",
      "const t = `line\n%time inside a template\n${1 % 2}\n%who`;",
      "const t = `a ${`nested\n%who`} b\n%whos`;",
      "const y = f(\n%who\n);",
      "const o = {\n  %who\n};",
      "const r = /'%/g; const q = '%who';",
      "const a = b\n  % c",
      "%%% nothing",
    ];
    for (const c of cases.slice(0, -2)) assert.deepEqual(names(c), [], c);
    // `% c` (space) is not a magic; `%%%` is not either.
    assert.deepEqual(names(cases[cases.length - 2]), []);
    assert.deepEqual(names(cases[cases.length - 1]), []);
  });

  it("finds line magics anywhere at line start, after a regex and after a template", () => {
    assert.deepEqual(names("%who"), ["who"]);
    assert.deepEqual(names("const a = 1;\n  %time a + 1\nconst b = 2;\n%whos"), ["time", "whos"]);
    assert.deepEqual(names("const r = /'/g;\n%who"), ["who"]);
    assert.deepEqual(names("const t = `x\n${y}\n`;\n%who"), ["who"]);
    assert.deepEqual(names("const d = a / b / c;\n%who"), ["who"]);
  });

  it("parses arguments and help", () => {
    const [m] = findLineMagics("x\n%timeit -n 10 f(a % b)  \ny");
    assert.equal(m.name, "timeit");
    assert.equal(m.args, "-n 10 f(a % b)");
    assert.equal(m.help, false);
    const [h] = findLineMagics("%time?");
    assert.equal(h.name, "time");
    assert.equal(h.help, true);
  });

  it("splits a cell into code and magic segments with offsets", () => {
    const code = "const a = 1;\n%who\na + 1";
    const p = parseCell(code);
    assert.equal(p.cellMagic, null);
    assert.deepEqual(
      p.segments.map((s) => s.kind),
      ["code", "line", "code"],
    );
    for (const s of p.segments) {
      if (s.kind === "code") assert.equal(code.slice(s.start, s.start + s.code.length), s.code);
      else assert.equal(code.slice(s.start, s.end), "%who");
    }
  });

  it("detects a cell magic on the first non-blank line only", () => {
    const p = parseCell("\n%%time\nconst a = 1 % 2;\na");
    assert.ok(p.cellMagic);
    assert.equal(p.cellMagic.name, "time");
    assert.equal(p.cellMagic.body, "const a = 1 % 2;\na");
    assert.equal(parseCell("%%sweep lr=1,2 --seeds 0..2\nx").cellMagic?.args, "lr=1,2 --seeds 0..2");
    assert.equal(parseCell("%%capture?\n").cellMagic?.help, true);
    // %% later in the cell is not a cell magic (nor a line magic).
    const later = parseCell("1\n%%time\n2");
    assert.equal(later.cellMagic, null);
    assert.equal(later.segments.filter((s) => s.kind === "line").length, 0);
  });

  it("blanks magic lines with same-length whitespace", () => {
    const code = "const a = 1;\n%who\na.toFixed()";
    const b = blankMagics(code);
    assert.equal(b.length, code.length);
    assert.equal(b.indexOf("a.toFixed"), code.indexOf("a.toFixed"));
    assert.ok(!b.includes("%"));
    const cell = "%%time\nconst q = 2;";
    assert.equal(blankMagics(cell), "      \nconst q = 2;");
  });

  it("fast path: cells without % are never parsed", () => {
    assert.equal(mayHaveMagic("const a = 1;\nconsole.log(a)"), false);
    assert.equal(mayHaveMagic("a % b"), false, "no line starts with %");
    assert.equal(mayHaveMagic("a\n  % b"), true);
    assert.equal(mayHaveMagic("%who"), true);
  });
});

describe("magic arguments and formats", () => {
  it("splits like a shell", () => {
    assert.deepEqual(splitArgs(`-a "my file.txt" 'x y' z\\ w`), ["-a", "my file.txt", "x y", "z w"]);
    assert.throws(() => splitArgs(`"open`), /unterminated/);
  });

  it("parses options first, rejects unknown ones with the usage", () => {
    const o = parseMagicOptions(["-n", "5", "-f", "rest", "-x"], { values: ["-n"], flags: ["-f"] }, "%m [-n N] [-f]");
    assert.equal(o.values["-n"], "5");
    assert.ok(o.flags.has("-f"));
    assert.deepEqual(o.positional, ["rest", "-x"]);
    assert.throws(() => parseMagicOptions(["-q"], { flags: ["-f"] }, "%m [-f]"), /unknown option -q[\s\S]*Usage: %m \[-f\]/);
    assert.throws(() => parseMagicOptions(["-n"], { values: ["-n"] }, "%m"), /needs a value/);
  });

  it("formats times like IPython's _format_time and %g", () => {
    // Expected strings are Python's "%.3g %s" % (...) for these inputs.
    assert.equal(formatTime(0.00123456), "1.23 ms");
    assert.equal(formatTime(2.5e-7), "250 ns");
    assert.equal(formatTime(1.5), "1.5 s");
    assert.equal(formatTime(12.34), "12.3 s");
    assert.equal(formatTime(3.2e-5), "32 µs");
    assert.equal(formatTime(0), "0 ns");
    assert.equal(formatTime(125), "2min 5s");
    assert.equal(formatG(0.000012345, 3), "1.23e-05");
    assert.equal(formatG(100, 3), "100");
    assert.equal(formatG(1234, 3), "1.23e+03");
  });
});
