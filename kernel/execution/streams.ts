/**
 * Process-wide stdout/stderr redirection into the running cell, and the
 * kernel's own log (which must keep going to the real stderr that Jupyter
 * shows in its console, never into a notebook).
 *
 * Convention (as IPython): writes made after a cell finished (timers,
 * callbacks) go to the most recent cell.
 */
import { TextDecoder } from "util";

type Write = typeof process.stdout.write;

// Captured at module load, before any redirection.
const realStdoutWrite: Write = process.stdout.write.bind(process.stdout);
const realStderrWrite: Write = process.stderr.write.bind(process.stderr);

/** One line to the kernel's real stderr, prefixed with "reglab: ". */
export function kernelLog(message: string): void {
  realStderrWrite(`reglab: ${message}\n`);
}

export interface StreamTarget {
  stdout(text: string): void;
  stderr(text: string): void;
}

let target: StreamTarget | null = null;
let installed = false;
// One streaming decoder per stream: a multi-byte character split across two Buffer writes is
// joined instead of becoming two U+FFFD.
const decoders = { stdout: new TextDecoder("utf-8"), stderr: new TextDecoder("utf-8") };

function redirected(name: "stdout" | "stderr", real: Write): Write {
  const write = (chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean => {
    const t = target;
    if (!t) return (real as (c: unknown, e?: unknown, cb?: unknown) => boolean)(chunk, encodingOrCb, cb);
    const decoder = decoders[name];
    let text: string;
    if (chunk instanceof Uint8Array && !(typeof encodingOrCb === "string" && encodingOrCb !== "utf8" && encodingOrCb !== "utf-8")) {
      text = decoder.decode(chunk, { stream: true });
    } else {
      // Bytes left over from an incomplete character end here (as U+FFFD).
      text = decoder.decode();
      if (typeof chunk === "string") text += chunk;
      else if (chunk instanceof Uint8Array) text += Buffer.from(chunk).toString(encodingOrCb as BufferEncoding);
      else text += String(chunk);
    }
    try {
      t[name](text);
    } catch (e) {
      realStderrWrite(`reglab: failed to forward ${name}: ${String(e)}\n`);
    }
    const done = typeof encodingOrCb === "function" ? encodingOrCb : cb;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  };
  return write as Write;
}

/** Patch process.stdout/stderr.write (once; process-hooks.ts calls it at kernel start). */
export function installStreamRedirection(): void {
  if (installed) return;
  installed = true;
  process.stdout.write = redirected("stdout", realStdoutWrite);
  process.stderr.write = redirected("stderr", realStderrWrite);
}

/**
 * Send process.stdout/stderr writes to `t` from now on (null: the real streams). Called by
 * whoever owns a cell's output: the protocol handler for each request, a magic that captures.
 */
export function redirectStreams(t: StreamTarget | null): void {
  target = t;
  if (t) installStreamRedirection();
}

/** The current target (to restore it after a nested capture). */
export function currentStreamTarget(): StreamTarget | null {
  return target;
}
