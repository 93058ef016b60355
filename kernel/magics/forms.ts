/**
 * Shapes that several families of magics share, so that their argument rules and messages have one home: a line
 * magic used without arguments (`%who`), a line and a cell form of one action on code (`%time x` / `%%time`), and a
 * magic over named settings that lists them without arguments (`%env`, `%config`).
 */
import type { CellOutcome } from "../execution/types";
import { UsageError } from "../options";
import type { CellMagic, LineMagic, MagicContext } from "./registry";

/** A usage error unless `args` is blank; `detail` is said after "takes no arguments". */
export function noArguments(label: string, args: string, detail = ""): void {
  if (args.trim()) throw new UsageError(`${label} takes no arguments${detail}.\nUsage: ${label}`);
}

/** A line magic used as `%name` alone. */
export function bareLineMagic(name: string, help: string, run: (ctx: MagicContext) => Promise<CellOutcome | void>): LineMagic {
  const label = `%${name}`;
  return {
    kind: "line",
    name,
    usage: label,
    help,
    async run(args, ctx) {
      noArguments(label, args);
      return run(ctx);
    },
  };
}

export interface CodeMagicSpec {
  name: string;
  help: string;
  /** The line form's argument as its usage shows it ("command"), and what it lacks without one ("a command"). */
  arg: string;
  missing: string;
  /** The cell form's body as its usage shows it ("<bash script>"). */
  body: string;
  bodyIsCode?: true;
  /** Said after "%%name takes no arguments" when the cell form is given some. */
  detail(args: string): string;
  /** The action, on the line form's arguments or the cell form's body. */
  run(code: string, ctx: MagicContext): Promise<CellOutcome | void>;
}

/** `%name code` and `%%name` with the code as its body. */
export function codeMagics(s: CodeMagicSpec): [LineMagic, CellMagic] {
  const lineUsage = `%${s.name} ${s.arg}`;
  const line: LineMagic = {
    kind: "line",
    name: s.name,
    usage: lineUsage,
    help: s.help,
    async run(args, ctx) {
      if (!args.trim()) throw new UsageError(`%${s.name} needs ${s.missing}.\nUsage: ${lineUsage}`);
      return s.run(args, ctx);
    },
  };
  const cell: CellMagic = {
    kind: "cell",
    name: s.name,
    usage: `%%${s.name}\n${s.body}`,
    help: s.help,
    async run(args, body, ctx) {
      noArguments(`%%${s.name}`, args, s.detail(args));
      return s.run(body, ctx);
    },
  };
  if (s.bodyIsCode) cell.bodyIsCode = true;
  return [line, cell];
}

/** A value as typed, without one pair of matching quotes around it. */
export function unquote(s: string): string {
  return s.replace(/^(['"])(.*)\1$/, "$2");
}

export interface SettingsMagicSpec {
  name: string;
  usage: string;
  help: string;
  /** Every setting, one line each, for the magic without arguments. */
  list(): string[];
  /** The magic with its (trimmed, non-empty) arguments. */
  set(args: string, ctx: MagicContext): void;
}

/** A line magic over named settings: without arguments it lists them. */
export function settingsMagic(s: SettingsMagicSpec): LineMagic {
  return {
    kind: "line",
    name: s.name,
    usage: s.usage,
    help: s.help,
    async run(args, ctx) {
      const a = args.trim();
      if (a) s.set(a, ctx);
      else ctx.io.stdout(s.list().join("\n") + "\n");
    },
  };
}
