/**
 * What a notebook asks of the front end besides displays: clearing the
 * cell's output and reading a line typed by the user (Jupyter's stdin
 * channel). As with the display sink, the kernel installs its services on a
 * well-known global symbol, so this module runs in plain Node too.
 */

/** The kernel's side, installed on `globalThis[KERNEL_IO]`. */
export interface KernelIO {
  /** Publish `clear_output` on the running cell. */
  clearOutput(wait: boolean): void;
  /** Ask the front end for a line (input_request); `sync` blocks the thread until the reply. */
  ask(prompt: string, opts: { password: boolean; sync: true }): string;
  ask(prompt: string, opts: { password: boolean; sync: false }): Promise<string>;
}

export const KERNEL_IO = Symbol.for("reglab.kernelIO");

/** The front end did not allow input for this request (`allow_stdin: false`, e.g. nbconvert, `reglab run`). */
export class StdinNotAllowedError extends Error {
  constructor() {
    super(
      "this front end does not accept input (the request had allow_stdin: false, as nbconvert and batch runs send): " +
        "give the value in the code instead, or run the cell from a notebook or console",
    );
    this.name = "StdinNotAllowedError";
  }
}

function kernelIO(): KernelIO | null {
  const io = (globalThis as Record<symbol, unknown>)[KERNEL_IO];
  return io && typeof io === "object" ? (io as KernelIO) : null;
}

/**
 * Clear the cell's output; with `wait`, only when the next output arrives (no flicker: the
 * idiom for redrawing a chart or a line in a training loop). Outside a kernel: nothing.
 */
export function clearOutput(wait = false): void {
  kernelIO()?.clearOutput(wait);
}

/**
 * Ask the user for a line of text through the front end (as Python's `input()`), e.g.
 * `const name = await input("name? ")`. Throws StdinNotAllowedError when the front end does
 * not accept input, and an interrupt ends the wait. Outside a kernel: reads one line from stdin.
 */
export async function input(message = "", opts: { password?: boolean } = {}): Promise<string> {
  const io = kernelIO();
  if (io) return io.ask(message, { password: opts.password === true, sync: false });
  const readline = await import("readline");
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await new Promise<string>((resolve) => rl.question(message, resolve));
  } finally {
    rl.close();
  }
}
