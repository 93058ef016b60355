/**
 * TypeScript's parser, from the TypeScript fork tslab itself compiles cells
 * with (already loaded in the kernel, so no extra cost there). Used to turn a
 * cell into a function body: its last expression statement becomes the
 * return value.
 */
import type * as TS from "typescript";
import { typescriptFork } from "../execution/typescript-fork";

const ts = typescriptFork;

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

/** One text replacement at [start, end) of the original code. */
interface Edit {
  start: number;
  end: number;
  text: string;
}

/** `text` padded with spaces to `len` characters (so later columns on the line stay put). */
function pad(text: string, len: number): string {
  return text.length >= len ? text : text + " ".repeat(len - text.length);
}

/**
 * `%run`'s view of a module file: the top-level `export` forms rewritten so
 * the file runs as notebook cell code and its names become notebook names
 * (IPython's %run runs a file in the user namespace). Line numbers never
 * change, and columns only after a rewritten export on its own line:
 * - `export` (and `default` of a named `export default function f`) on a
 *   declaration — const/let/var, function, class, interface, type, enum,
 *   namespace, `import x = ...` — is blanked;
 * - `export default <expr>` / `export = <expr>` becomes the statement `(<expr>);`,
 *   an anonymous `export default function/class` becomes `void function ...`;
 * - `export { a, b as c }` defines `c = b` (a and b already are names);
 * - `export { a } from "m"` / `export * as ns from "m"` become the imports
 *   with the same names; `export * from "m"` only loads "m".
 * Exports inside namespaces are left alone. `parseAs` is the code parsed in
 * place of `code` (e.g. with magic lines blanked); it must have the same length.
 */
export function stripExports(code: string, parseAs: string = code): string {
  const t = ts();
  const sf = t.createSourceFile("run.ts", parseAs, t.ScriptTarget.ES2022, true, t.ScriptKind.TS);
  const edits: Edit[] = [];
  const blank = (node: TS.Node): void => {
    const s = node.getStart(sf);
    edits.push({ start: s, end: node.getEnd(), text: " ".repeat(node.getEnd() - s) });
  };
  for (const st of sf.statements) {
    if (t.isExportAssignment(st)) {
      // export default <expr>  /  export = <expr>
      const start = st.getStart(sf);
      const exprStart = st.expression.getStart(sf);
      const exprEnd = st.expression.getEnd();
      edits.push({ start, end: exprStart, text: pad("", exprStart - start - 1) + "(" });
      edits.push({ start: exprEnd, end: exprEnd, text: ")" });
      continue;
    }
    if (t.isExportDeclaration(st)) {
      const start = st.getStart(sf);
      const end = st.getEnd();
      const from = st.moduleSpecifier ? st.moduleSpecifier.getText(sf) : null;
      let text: string;
      if (from !== null) {
        const clause = st.exportClause;
        if (!clause)
          text = `import ${from};`; // export * from "m": the names stay in "m"
        else if (t.isNamespaceExport(clause)) text = `import * as ${clause.name.text} from ${from};`;
        else text = `import ${st.isTypeOnly ? "type " : ""}{ ${clause.elements.map((e) => e.getText(sf)).join(", ")} } from ${from};`;
      } else {
        const clause = st.exportClause;
        const aliases =
          clause && t.isNamedExports(clause)
            ? clause.elements.filter((e) => e.propertyName && e.propertyName.text !== e.name.text && !e.isTypeOnly && !st.isTypeOnly)
            : [];
        text = aliases.map((e) => `const ${e.name.text} = ${e.propertyName!.text};`).join(" ");
      }
      // Keep the statement's line breaks so later lines keep their numbers.
      const breaks = (code.slice(start, end).match(/\n/g) ?? []).length;
      edits.push({ start, end, text: breaks ? text + "\n".repeat(breaks) : pad(text, end - start) });
      continue;
    }
    const mods = t.canHaveModifiers(st) ? t.getModifiers(st) : undefined;
    const exp = mods?.find((m) => m.kind === t.SyntaxKind.ExportKeyword);
    if (!exp) continue;
    const def = mods?.find((m) => m.kind === t.SyntaxKind.DefaultKeyword);
    const anonymous = def && (t.isFunctionDeclaration(st) || t.isClassDeclaration(st)) && !st.name;
    if (anonymous) {
      const s = exp.getStart(sf);
      edits.push({ start: s, end: exp.getEnd(), text: pad("void", exp.getEnd() - s) });
    } else blank(exp);
    if (def) blank(def);
  }
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
