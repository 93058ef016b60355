/**
 * Typed message contents (Jupyter messaging spec 5.3): one type per request
 * and reply the kernel handles, and one parser per request that applies the
 * spec's defaults, so the handler and the client agree on them (a client
 * builds an execute_request with {@link executeRequestContent}).
 *
 * Parsers never throw: a field of the wrong type gets its default, as
 * ipykernel's `content.get(name, default)` does.
 */

// ---- requests --------------------------------------------------------------

export interface ExecuteRequest {
  code: string;
  /** Default false. A silent request publishes nothing and is not counted. */
  silent: boolean;
  /** Default true; always false when `silent`. */
  store_history: boolean;
  user_expressions: Record<string, string>;
  /** Default false (as ipykernel): only a front end that says so answers input_request. */
  allow_stdin: boolean;
  /** Default true: after an error, the execute_requests already queued are aborted. */
  stop_on_error: boolean;
}

export interface CompleteRequest {
  code: string;
  /** Default: the end of `code`. */
  cursor_pos: number;
}

export interface InspectRequest {
  code: string;
  cursor_pos: number;
  /** 0 or 1 (default 0). */
  detail_level: 0 | 1;
}

export interface IsCompleteRequest {
  code: string;
}

export type HistoryRequest =
  | { hist_access_type: "tail"; output: boolean; raw: boolean; n: number }
  | { hist_access_type: "range"; output: boolean; raw: boolean; session: number; start: number; stop: number | null }
  | { hist_access_type: "search"; output: boolean; raw: boolean; n: number | null; pattern: string; unique: boolean };

export interface ShutdownRequest {
  restart: boolean;
}

/** On the stdin channel, the front end's answer to an input_request. */
export interface InputReply {
  value: string;
}

// ---- replies and iopub contents ------------------------------------------------

/** A payload of an execute_reply: the pager, or asking a console front end to exit. */
export type Payload = { source: "page"; data: Record<string, unknown>; start: number } | { source: "ask_exit"; keepkernel: boolean };

export type ExecuteReply =
  | { status: "ok"; execution_count: number; payload: Payload[]; user_expressions: Record<string, unknown> }
  | {
      status: "error";
      execution_count: number;
      ename: string;
      evalue: string;
      traceback: string[];
      payload: Payload[];
      user_expressions: Record<string, unknown>;
    }
  | { status: "aborted"; execution_count: number };

export interface CompleteReply {
  status: "ok";
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

export interface InspectReply {
  status: "ok";
  found: boolean;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export type IsCompleteReply = { status: "incomplete"; indent: string } | { status: "complete" | "invalid" | "unknown" };

/** [session, line, input] or, with `output`, [session, line, [input, output]]. */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];

export interface HistoryReply {
  status: "ok";
  history: HistoryEntry[];
}

export interface KernelInfoReply {
  status: "ok";
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: {
    name: string;
    version: string;
    mimetype: string;
    file_extension: string;
    codemirror_mode?: unknown;
  };
  banner: string;
  help_links: Array<{ text: string; url: string }>;
}

export interface ShutdownReply {
  status: "ok";
  restart: boolean;
}

export interface InputRequest {
  prompt: string;
  password: boolean;
}

// ---- parsers -----------------------------------------------------------------

type Content = Record<string, unknown>;

function str(v: unknown, dflt = ""): string {
  return typeof v === "string" ? v : dflt;
}
function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === "boolean" ? v : dflt;
}
function int(v: unknown, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : dflt;
}

export function parseExecuteRequest(c: Content): ExecuteRequest {
  const silent = bool(c.silent, false);
  const ue = c.user_expressions;
  return {
    code: str(c.code),
    silent,
    store_history: silent ? false : bool(c.store_history, true),
    user_expressions: ue && typeof ue === "object" && !Array.isArray(ue) ? (ue as Record<string, string>) : {},
    allow_stdin: bool(c.allow_stdin, false),
    stop_on_error: bool(c.stop_on_error, true),
  };
}

/** A complete execute_request content from the fields a client sets (the rest: the spec's defaults). */
export function executeRequestContent(partial: Partial<ExecuteRequest> & { code: string }): ExecuteRequest {
  return parseExecuteRequest(partial as Content);
}

export function parseCompleteRequest(c: Content): CompleteRequest {
  const code = str(c.code);
  return { code, cursor_pos: int(c.cursor_pos, code.length) };
}

export function parseInspectRequest(c: Content): InspectRequest {
  const code = str(c.code);
  return { code, cursor_pos: int(c.cursor_pos, code.length), detail_level: c.detail_level === 1 ? 1 : 0 };
}

export function parseIsCompleteRequest(c: Content): IsCompleteRequest {
  return { code: str(c.code) };
}

/** Defaults as IPython's history manager: tail n=10; range of session 0 (this one) from 1; search of `*`. */
export function parseHistoryRequest(c: Content): HistoryRequest {
  const output = bool(c.output, false);
  const raw = bool(c.raw, true);
  switch (c.hist_access_type) {
    case "range":
      return {
        hist_access_type: "range",
        output,
        raw,
        session: int(c.session, 0),
        start: int(c.start, 1),
        stop: c.stop == null ? null : int(c.stop, 0),
      };
    case "search":
      return {
        hist_access_type: "search",
        output,
        raw,
        n: c.n == null ? null : int(c.n, 0),
        pattern: str(c.pattern, "*") || "*",
        unique: bool(c.unique, false),
      };
    default:
      return { hist_access_type: "tail", output, raw, n: int(c.n, 10) };
  }
}

export function parseShutdownRequest(c: Content): ShutdownRequest {
  return { restart: bool(c.restart, false) };
}

export function parseInputReply(c: Content): InputReply {
  return { value: str(c.value) };
}
