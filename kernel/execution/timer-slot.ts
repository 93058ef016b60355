/**
 * The timers TypeScript's watch program asks tslab's converter for.
 *
 * The watch program keeps two debounce timers — one to rebuild the program,
 * one to re-resolve modules whose lookup failed (a `node_modules` folder
 * appearing) — and asks the host for each with `setTimeout`. tslab 1.0.22's
 * converter has room for ONE: it never runs timers on its own, it fires the
 * pending one when it compiles a cell, and throws "Unexpected pending
 * rebuildTimer" when a second is asked for. A file event between cells (a
 * watched .d.ts rewritten, a folder created next to the notebook) then broke
 * the next compilation or, thrown from an fs.watch callback, ended the kernel.
 *
 * A TimerSlot holds any number of pending timers; `fire()` runs them in the
 * order they were set, including timers set while it runs (bounded), which is
 * what real timers would do one after another. `cancel` removes one.
 */

export interface PendingTimer {
  run(): void;
}

export interface TimerSlot {
  /** TypeScript's `host.setTimeout(callback, ms, ...args)`; the delay is ignored (the converter decides when). */
  setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): PendingTimer;
  clearTimeout(timer: PendingTimer): void;
  /** Whether a timer waits. */
  pending(): boolean;
  /** Run every waiting timer (and those they set, up to `MAX_ROUNDS` rounds). */
  fire(): void;
}

const MAX_ROUNDS = 10;

export function createTimerSlot(): TimerSlot {
  let waiting: PendingTimer[] = [];
  return {
    setTimeout(callback, _ms, ...args) {
      const t: PendingTimer = { run: () => callback(...args) };
      waiting.push(t);
      return t;
    },
    clearTimeout(timer) {
      waiting = waiting.filter((t) => t !== timer);
    },
    pending: () => waiting.length > 0,
    fire() {
      for (let round = 0; round < MAX_ROUNDS && waiting.length > 0; round++) {
        const due = waiting;
        waiting = [];
        for (const t of due) t.run();
      }
    },
  };
}
