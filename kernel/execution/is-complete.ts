/**
 * is_complete for TypeScript cells (what a console asks before running the
 * line the user pressed Enter on):
 * - `incomplete`: the code could go on — an unclosed bracket, string
 *   template, block comment, or a parse error at the very end (`1 +`);
 *   `indent` is the next line's indentation (two spaces per open bracket);
 * - `invalid`: no continuation can make it parse — a closing bracket with no
 *   opener, or a parse error before the end (`let = 7q`, `const 1x = 2;`);
 * - `complete` otherwise.
 * Trailing whitespace never changes the answer (the code is trimmed first).
 * Uses the TypeScript fork tslab compiles cells with.
 */
import type * as TS from "typescript";
import { typescriptFork } from "./typescript-fork";

export type IsCompleteStatus = { status: "complete" | "invalid" } | { status: "incomplete"; indent: string };

const ts = typescriptFork;

const CLOSERS: Record<number, number> = {};
// TypeScript's diagnostic codes for literals and comments still open at the end of the text.
const UNTERMINATED_STRING = 1002;
const COMMENT_NOT_CLOSED = 1010;
const UNTERMINATED_TEMPLATE = 1160;
const UNTERMINATED_REGEXP = 1161;

export function isCompleteTypeScript(code: string): IsCompleteStatus {
  const t = ts();
  const K = t.SyntaxKind;
  if (Object.keys(CLOSERS).length === 0) {
    CLOSERS[K.CloseParenToken] = K.OpenParenToken;
    CLOSERS[K.CloseBracketToken] = K.OpenBracketToken;
    CLOSERS[K.CloseBraceToken] = K.OpenBraceToken;
  }
  const src = code.trimEnd();
  if (src.trim() === "") return { status: "complete" };
  let unterminated = false;
  let badLiteral = false;
  const scanner = t.createScanner(t.ScriptTarget.Latest, false, t.LanguageVariant.Standard, src, (m) => {
    // A template or block comment can go on over lines; a quoted string or a regular expression cannot.
    if (m.code === UNTERMINATED_TEMPLATE || m.code === COMMENT_NOT_CLOSED) unterminated = true;
    else if (m.code === UNTERMINATED_STRING || m.code === UNTERMINATED_REGEXP) badLiteral = true;
  });
  const stack: number[] = [];
  // After these a `/` is division; elsewhere it starts a regular expression literal.
  const endsExpression = new Set<number>([
    K.Identifier,
    K.NumericLiteral,
    K.BigIntLiteral,
    K.StringLiteral,
    K.NoSubstitutionTemplateLiteral,
    K.TemplateTail,
    K.CloseParenToken,
    K.CloseBracketToken,
    K.CloseBraceToken,
    K.ThisKeyword,
    K.SuperKeyword,
    K.TrueKeyword,
    K.FalseKeyword,
    K.NullKeyword,
    K.PlusPlusToken,
    K.MinusMinusToken,
  ]);
  let prev: number | undefined;
  for (let tok = scanner.scan(); tok !== K.EndOfFileToken; prev = tok, tok = scanner.scan()) {
    if ((tok === K.SlashToken || tok === K.SlashEqualsToken) && (prev === undefined || !endsExpression.has(prev))) {
      tok = scanner.reScanSlashToken();
      continue;
    }
    if (tok === K.OpenParenToken || tok === K.OpenBracketToken || tok === K.OpenBraceToken) stack.push(tok);
    else if (tok === K.TemplateHead) stack.push(tok);
    else if (tok in CLOSERS) {
      if (tok === K.CloseBraceToken && stack[stack.length - 1] === K.TemplateHead) {
        // `}` closing a template substitution: the rest of the template follows.
        tok = scanner.reScanTemplateToken(false);
        if (tok === K.TemplateTail) stack.pop();
        continue;
      }
      if (stack.pop() !== CLOSERS[tok]) return { status: "invalid" };
    }
  }
  if (unterminated) return { status: "incomplete", indent: "" };
  if (badLiteral) return { status: "invalid" };
  if (stack.length > 0) return { status: "incomplete", indent: "  ".repeat(stack.length) };
  const file = t.createSourceFile("cell.ts", src, t.ScriptTarget.Latest, false, t.ScriptKind.TS);
  const diags = (file as unknown as { parseDiagnostics: TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (diags.length === 0) return { status: "complete" };
  // An error only at the very end can be cured by more input (`1 +`, `if (x)`); anything earlier cannot.
  return diags.every((d) => d.start >= src.length) ? { status: "incomplete", indent: "" } : { status: "invalid" };
}
