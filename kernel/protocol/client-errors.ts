/**
 * What the kernel client's calls reject with: a wait that ran out or was
 * abandoned (the execution itself goes on, and `settled` follows it), and a
 * kernel process that exited under a request.
 */
import type { ExitInfo } from "./kernel-process";
import type { Message } from "./wire";

/** What `settled` resolves to: the fields of the client's ExecuteReply (declared there). */
export interface SettledExecution {
  status: "ok" | "error" | "abort";
  executionCount: number | null;
  reply: Message;
  iopub: Message[];
}

export class TimeoutError extends Error {
  /**
   * For `execute`: the execution keeps being followed after the timeout;
   * `settled` resolves when it finishes (e.g. after an interrupt) or rejects
   * if the kernel dies. `iopub` holds its messages so far (a live array).
   */
  constructor(
    message: string,
    readonly iopub: Message[] = [],
    readonly settled?: Promise<SettledExecution>,
  ) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** `execute` stopped waiting because its AbortSignal fired; same fields as TimeoutError. */
export class ExecuteAbortedError extends Error {
  constructor(
    message: string,
    readonly iopub: Message[],
    readonly settled: Promise<SettledExecution>,
  ) {
    super(message);
    this.name = "ExecuteAbortedError";
  }
}

export class KernelDiedError extends Error {
  constructor(
    message: string,
    readonly exit: ExitInfo,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = "KernelDiedError";
  }
}
