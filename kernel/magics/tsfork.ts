/**
 * TypeScript's parser, from the TypeScript fork tslab itself compiles cells
 * with (already loaded in the kernel, so no extra cost there). Used to turn a
 * cell into a function body: its last expression statement becomes the
 * return value.
 */
import path from "path";
import type * as TS from "typescript";

let cached: typeof TS | null = null;

function ts(): typeof TS {
  if (!cached) {
    const tslabDir = path.dirname(require.resolve("tslab/package.json"));
    // The fork's API is TypeScript 5.0's; the project's `typescript` types describe it.
    cached = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as typeof TS;
  }
  return cached;
}

export interface FunctionBody {
  /** Statements with the last expression statement turned into `return (...)`. */
  body: string;
  /** Whether the code awaits at its top level (the function must then be async). */
  usesAwait: boolean;
}

/** Rewrite `code` into the body of an arrow function returning its last expression. */
export function toFunctionBody(code: string): FunctionBody {
  const t = ts();
  const sf = t.createSourceFile("cell.ts", code, t.ScriptTarget.ES2022, true, t.ScriptKind.TS);
  let body = code;
  const last = sf.statements[sf.statements.length - 1];
  if (last && t.isExpressionStatement(last)) {
    const start = last.expression.getStart(sf);
    const end = last.expression.getEnd();
    body = `${code.slice(0, start)}return (${code.slice(start, end)});${code.slice(last.getEnd())}`;
  }
  let usesAwait = false;
  const visit = (node: TS.Node): void => {
    if (usesAwait) return;
    if (t.isAwaitExpression(node) || (t.isForOfStatement(node) && node.awaitModifier)) {
      usesAwait = true;
      return;
    }
    // await inside a nested function belongs to that function
    if (t.isFunctionLike(node)) return;
    t.forEachChild(node, visit);
  };
  t.forEachChild(sf, visit);
  return { body, usesAwait };
}

/** Offset of the first JSON syntax error (TypeScript's JSON parser), or null. */
export function jsonErrorOffset(text: string): number | null {
  const t = ts();
  const sf = t.parseJsonText("spec.json", text) as TS.JsonSourceFile & { parseDiagnostics?: TS.Diagnostic[] };
  const d = sf.parseDiagnostics?.[0];
  return d && typeof d.start === "number" ? d.start : null;
}
