import { test } from "node:test";
import assert from "node:assert/strict";
import { deliverWhenFree, guardWatchers, pendingWatchEvents, type WatchingSystem } from "../../../../kernel/execution/watch-guard";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** tslab's one-slot timer: a second request while one is pending throws. */
function oneSlot() {
  let pending = false;
  return {
    request: () => {
      if (pending) throw new Error("Unexpected pending rebuildTimer");
      pending = true;
    },
    compileCell: () => void (pending = false),
  };
}

test("an event that finds tslab's timer slot taken is delivered after the next cell frees it, in order", async () => {
  const slot = oneSlot();
  const seen: string[] = [];
  const sys: WatchingSystem & { cbs: Array<(name: string) => void> } = {
    cbs: [],
    watchFile(path, callback) {
      this.cbs.push(callback as unknown as (name: string) => void);
      return { close() {} };
    },
  };
  guardWatchers(sys);
  guardWatchers(sys); // idempotent: one wrapper only
  sys.watchFile!("/d/m.ts", ((name: string) => {
    slot.request();
    seen.push(name);
  }) as never);
  sys.cbs[0]("first"); // takes the slot
  assert.doesNotThrow(() => sys.cbs[0]("second")); // would have thrown out of an fs.watch callback
  sys.cbs[0]("third");
  assert.deepEqual(seen, ["first"]);
  assert.equal(pendingWatchEvents(), 2);
  await sleep(600);
  assert.deepEqual(seen, ["first"], "still waiting while no cell has been compiled");
  slot.compileCell();
  await sleep(400);
  assert.deepEqual(seen, ["first", "second"], "one event per freed slot");
  slot.compileCell();
  await sleep(400);
  assert.deepEqual(seen, ["first", "second", "third"]);
  assert.equal(pendingWatchEvents(), 0);
});

test("other errors from a watcher callback are not hidden", () => {
  assert.throws(() => deliverWhenFree(() => {
    throw new Error("something else");
  }), /something else/);
  assert.equal(pendingWatchEvents(), 0);
});
