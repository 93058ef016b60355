import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { createTimerSlot } from "../../../../kernel/execution/timer-slot";
import { patchConverterSource } from "../../../../kernel/execution/tslab-converter";

test("a timer slot holds TypeScript's two debounce timers at once and fires them in order", () => {
  const slot = createTimerSlot();
  const ran: string[] = [];
  const update = slot.setTimeout(() => ran.push("update"), 250);
  slot.setTimeout((what) => ran.push(String(what)), 250, "invalidate"); // tslab's own slot threw here
  assert.ok(slot.pending());
  slot.clearTimeout(update);
  const again = slot.setTimeout(() => {
    ran.push("update");
    slot.setTimeout(() => ran.push("set while firing"), 250);
  }, 250);
  assert.ok(again);
  slot.fire();
  assert.deepEqual(ran, ["invalidate", "update", "set while firing"]);
  assert.equal(slot.pending(), false);
});

test("a timer that keeps re-arming itself cannot make fire() loop forever", () => {
  const slot = createTimerSlot();
  let n = 0;
  const arm = (): void => {
    n++;
    slot.setTimeout(arm, 250);
  };
  slot.setTimeout(arm, 250);
  slot.fire();
  assert.equal(n, 10);
  assert.ok(slot.pending(), "the rest waits for the next fire");
});

test("the patch applies to the installed tslab converter and leaves no use of the one-slot timer", () => {
  const source = fs.readFileSync(require.resolve("tslab/dist/converter"), "utf8");
  assert.match(source, /Unexpected pending rebuildTimer/, "the installed tslab has the one-slot timer");
  const patched = patchConverterSource(source);
  assert.ok(patched, "the patch matches tslab 1.0.22");
  assert.doesNotMatch(patched!, /rebuildTimer/);
  assert.match(patched!, /rebuildSlot\.fire\(\);/);
  assert.equal(patchConverterSource("module.exports = {};"), null, "another source is left alone");
});
