/**
 * File-watcher events that tslab's converter cannot take yet are delivered
 * later instead of killing the kernel.
 *
 * tslab gives TypeScript's watch program a `setTimeout` with ONE slot, which
 * it empties only when it compiles the next cell, and which throws
 * "Unexpected pending rebuildTimer" when a second timer is asked for. Between
 * cells, a real file event (a watched source or .d.ts file rewritten or
 * deleted, a `node_modules` folder appearing) makes TypeScript schedule a
 * program update or a resolution refresh; a second event of the other kind
 * then throws inside an fs.watch callback: an uncaught exception, the end of
 * the kernel. Seen with notebooks in busy folders and with packages being
 * reinstalled while a kernel runs.
 *
 * The guard wraps the callbacks of the fork's `ts.sys.watchFile` /
 * `watchDirectory` (tslab's converter delegates to them at call time): an
 * event that hits the occupied slot is queued and offered again every
 * RETRY_MS until the converter has compiled a cell and freed the slot. The
 * flags TypeScript sets before scheduling are idempotent, so a repeated
 * event changes nothing but the time it is seen. Any other error propagates.
 */

/** The part of TypeScript's `System` that watches files. */
export interface WatchingSystem {
  watchFile?: (path: string, callback: (...args: never[]) => void, ...rest: never[]) => { close(): void };
  watchDirectory?: (path: string, callback: (...args: never[]) => void, ...rest: never[]) => { close(): void };
}

const RETRY_MS = 250;
const PENDING = "Unexpected pending rebuildTimer";
const GUARDED = Symbol.for("reglab.watchGuard");

/** Deliveries waiting for tslab's timer slot, oldest first. */
const waiting: Array<() => void> = [];
let retryTimer: NodeJS.Timeout | null = null;

function isOccupiedSlot(e: unknown): boolean {
  return e instanceof Error && e.message === PENDING;
}

function flush(): void {
  retryTimer = null;
  while (waiting.length > 0) {
    try {
      waiting[0]();
    } catch (e) {
      if (!isOccupiedSlot(e)) {
        waiting.shift();
        throw e;
      }
      schedule();
      return;
    }
    waiting.shift();
  }
}

function schedule(): void {
  if (retryTimer) return;
  retryTimer = setTimeout(flush, RETRY_MS);
  retryTimer.unref(); // a queued file event must not keep an idle kernel process alive
}

/** Run `deliver` now, or queue it when tslab's timer slot is occupied. Exported for tests. */
export function deliverWhenFree(deliver: () => void): void {
  if (waiting.length > 0) {
    waiting.push(deliver); // keep the events in order
    return;
  }
  try {
    deliver();
  } catch (e) {
    if (!isOccupiedSlot(e)) throw e;
    waiting.push(deliver);
    schedule();
  }
}

/** Events still waiting (for tests and diagnostics). */
export function pendingWatchEvents(): number {
  return waiting.length;
}

/** Wrap `sys`'s watchers once so their callbacks go through `deliverWhenFree`. */
export function guardWatchers(sys: WatchingSystem): void {
  const marked = sys as WatchingSystem & { [GUARDED]?: true };
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  for (const key of ["watchFile", "watchDirectory"] as const) {
    const original = sys[key];
    if (typeof original !== "function") continue;
    sys[key] = (path: string, callback: (...args: never[]) => void, ...rest: never[]) =>
      original.call(sys, path, (...args: never[]) => deliverWhenFree(() => callback(...args)), ...rest);
  }
}
