/**
 * Expands shorthand object properties (`{ q }` → `{ q: q }`) before tslab
 * compiles a cell, and makes `await (x)` an await.
 *
 * tslab keeps earlier cells' variables on an `exports` object and rewrites
 * every reference to them as `exports.q`, but the name in a shorthand
 * property is not a reference the rewriter visits, so `({ q })` fails with
 * "q is not defined" when `q` came from an earlier cell. The long form is
 * the same program and gets rewritten. Only line-internal text is inserted,
 * so line numbers stay; `mapColumn` restores the cell's own columns for
 * diagnostics.
 *
 * `await (x)` at the top level: TypeScript parses `await` followed by `(`
 * outside an async function as a call of a function named `await`, so tslab
 * never sees a top-level await and the cell fails with "await is not
 * defined". The call chain that starts there is rewritten as
 * `await Promise.resolve((x)…)`, which awaits the same value and is parsed as an await.
 */
import { typescriptFork } from "./typescript-fork";

/** The slice of the TypeScript API used here (tslab's fork has no types we compile against). */
interface TsNode {
  kind: number;
  pos: number;
  end: number;
  name?: TsNode;
  expression?: TsNode;
  escapedText?: string;
  parent?: TsNode;
  getEnd(): number;
}
interface TsApi {
  SyntaxKind: {
    ShorthandPropertyAssignment: number;
    CallExpression: number;
    Identifier: number;
    PropertyAccessExpression: number;
    ElementAccessExpression: number;
    NonNullExpression: number;
  };
  ScriptTarget: { Latest: number };
  ScriptKind: { TS: number };
  createSourceFile(name: string, text: string, target: number, setParents: boolean, kind: number): TsNode;
  forEachChild(node: TsNode, cb: (child: TsNode) => void): void;
}

/** The fork, seen through the slice this module uses. */
const api = (): TsApi => typescriptFork() as unknown as TsApi;

export interface Expanded {
  code: string;
  /** Per 1-based line: [column in the expanded text where text was inserted, inserted length]. */
  inserts: Map<number, Array<[number, number]>>;
}

/** `{ a, b = 1 }` → `{ a: a, b: b = 1 }`, `await (f)()` → `await Promise.resolve((f)())`; other code comes back unchanged. */
export function expandShorthand(code: string): Expanded {
  const inserts = new Map<number, Array<[number, number]>>();
  if (!code.includes("{") && !code.includes("await")) return { code, inserts };
  const t = api();
  const file = t.createSourceFile("cell.ts", code, t.ScriptTarget.Latest, true, t.ScriptKind.TS);
  const at: Array<{ offset: number; text: string }> = [];
  const visit = (node: TsNode): void => {
    if (node.kind === t.SyntaxKind.ShorthandPropertyAssignment && node.name) {
      const name = code.slice(node.name.getEnd() - nameLength(code, node.name.getEnd()), node.name.getEnd());
      at.push({ offset: node.name.getEnd(), text: `: ${name}` });
    }
    const callee = node.kind === t.SyntaxKind.CallExpression ? node.expression : undefined;
    if (callee && callee.kind === t.SyntaxKind.Identifier && callee.escapedText === "await") {
      // The chain the user meant to await: `await (f)()` is `await(f)` called, so climb to the outer call.
      const K = t.SyntaxKind;
      const chain = new Set([K.CallExpression, K.PropertyAccessExpression, K.ElementAccessExpression, K.NonNullExpression]);
      let top = node;
      while (top.parent && chain.has(top.parent.kind) && top.parent.expression === top) top = top.parent;
      at.push({ offset: callee.getEnd(), text: " Promise.resolve(" });
      at.push({ offset: top.getEnd(), text: ")" });
    }
    t.forEachChild(node, visit);
  };
  visit(file);
  if (at.length === 0) return { code, inserts };
  let out = "";
  let last = 0;
  let line = 1;
  let lineStartOut = 0;
  for (const { offset, text } of at.sort((a, b) => a.offset - b.offset)) {
    const chunk = code.slice(last, offset);
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === "\n") {
        line++;
        lineStartOut = out.length + i + 1;
      }
    }
    out += chunk;
    const col = out.length - lineStartOut + 1;
    const list = inserts.get(line) ?? [];
    list.push([col, text.length]);
    inserts.set(line, list);
    out += text;
    last = offset;
  }
  out += code.slice(last);
  return { code: out, inserts };
}

/** Length of the identifier that ends at `end` (the node's own text, without leading trivia). */
function nameLength(code: string, end: number): number {
  let i = end;
  while (i > 0 && /[\p{ID_Continue}$\u200c\u200d]/u.test(code[i - 1])) i--;
  return end - i;
}

/** A 1-based column of the expanded text, as a column of the cell the user wrote. */
export function mapColumn(e: Expanded, line: number, col: number): number {
  let shift = 0;
  for (const [c, len] of e.inserts.get(line) ?? []) {
    if (c < col) shift += Math.min(len, col - c);
  }
  return col - shift;
}
