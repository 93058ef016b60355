/**
 * Cooperative interrupts (src/runtime/interrupt.ts) in `train` and
 * `bagging`: an interrupt stops the loop at the next step with an
 * InterruptedError, releases every per-run tensor (the optimizer, the
 * epoch's shuffled copies, callbacks' snapshots, unfinished ensemble
 * members), and the next `train` works. Over the Jupyter protocol, an
 * interrupted `await train(...)` cell stops for good: no output from it
 * arrives after the cell ends.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { earlyStopping } from "../../../src/training/early-stopping";
import { bagging } from "../../../src/ensembles/bagging";
import { mlp } from "../../../src/models/mlp";
import { InterruptedError, requestInterrupt } from "../../../src/runtime/interrupt";
import { executeCell } from "../../../kernel/runner/execute-cell";
import { startTestKernel, stopTestKernel, type TestKernel } from "../../support/kernel-fixture";
import type { Message } from "../../../kernel/protocol/wire";

describe("in process", () => {
  test("train: an interrupt from a timer stops it within " +
    "a step, leaks nothing, and the next train works", { timeout: 60_000 }, async () => {
    await useBackend("wasm", { quiet: true });
    seed(1);
    const x = tf.randomNormal([256, 8]);
    const y = tf.sum(x, 1, true);
    const vx = tf.randomNormal([64, 8]);
    const vy = tf.sum(vx, 1, true);
    const baseline = tf.memory().numTensors;
    const m = mlp({ inputs: 8, hidden: [32, 32], outputs: 1 });
    const weights = m.weights.length;
    assert.equal(tf.memory().numTensors, baseline + weights);

    let interrupted = false;
    let batchesAfter = 0;
    let epochs = 0;
    const timer = setTimeout(() => {
      interrupted = true;
      requestInterrupt();
    }, 300);
    const run = train(m, { x, y }, {
      epochs: 100_000,
      batchSize: 16,
      optimizer: "adam",
      validationData: { x: vx, y: vy },
      progress: false,
      callbacks: [
        // Holds a cloned snapshot of the weights: it must be released too.
        earlyStopping({ patience: 1_000_000, restoreBestWeights: true }),
        {
          onBatchEnd: () => {
            if (interrupted) batchesAfter++;
          },
          onEpochEnd: () => {
            epochs++;
          },
        },
      ],
    });
    await assert.rejects(run, (e: unknown) => e instanceof InterruptedError && /training was interrupted/.test(e.message));
    clearTimeout(timer);
    assert.ok(interrupted, "the timer ran while training (the loop yields to the event loop)");
    assert.ok(batchesAfter <= 1, `${batchesAfter} steps ran after the interrupt`);
    assert.ok(epochs < 100_000, "stopped early");
    assert.equal(tf.memory().numTensors, baseline + weights, "only the model's weights remain");
    const finite = m.getWeights().every((w) => tf.tidy(() => tf.all(tf.isFinite(w)).dataSync()[0] === 1));
    assert.ok(finite, "weights are usable");

    // A later call is not affected by the earlier interrupt (guards count from their start).
    const h = await train(m, { x, y }, { epochs: 30, batchSize: 32, optimizer: "adam", learningRate: 0.01, progress: false });
    assert.equal(h.metrics.loss.length, 30);
    assert.ok(h.metrics.loss[29] < h.metrics.loss[0], `loss ${h.metrics.loss[0]} -> ${h.metrics.loss[29]}`);
    assert.equal(tf.memory().numTensors, baseline + weights);
    m.dispose();
    tf.dispose([x, y, vx, vy]);
  });

  test("bagging: an interrupt stops it and disposes the members built so far", { timeout: 60_000 }, async () => {
    await useBackend("wasm", { quiet: true });
    seed(2);
    const x = tf.randomNormal([64, 4]);
    const y = tf.sum(x, 1, true);
    const baseline = tf.memory().numTensors;
    let built = 0;
    const timer = setTimeout(requestInterrupt, 400);
    await assert.rejects(
      bagging(
        () => {
          built++;
          return mlp({ inputs: 4, hidden: [16], outputs: 1 });
        },
        { x, y },
        { members: 500, epochs: 20, batchSize: 16, progress: false },
      ),
      InterruptedError,
    );
    clearTimeout(timer);
    assert.ok(built >= 1 && built < 500, `${built} members built`);
    assert.equal(tf.memory().numTensors, baseline, "no member weights or bootstrap copies remain");
    tf.dispose([x, y]);
  });
});

describe("over the Jupyter protocol", () => {
  let kernel: TestKernel | undefined;
  after(() => stopTestKernel(kernel));

  test("an interrupted `await train(...)` cell stops: the next cell runs and no late output arrives", { timeout: 120_000 }, async () => {
    kernel = await startTestKernel("reglab-interrupt-");
    const client = kernel.kc;
    const setup = await executeCell(client, 
      [
        'import { tf, train, mlp, seed } from "reglab";',
        "seed(3);",
        "const x = tf.randomNormal([256, 8]);",
        "const y = tf.sum(x, 1, true);",
        "const m = mlp({ inputs: 8, hidden: [32], outputs: 1 });",
      ].join("\n"),
      { timeoutMs: 60_000, stopOnError: false },
    );
    assert.equal(setup.status, "ok", JSON.stringify(setup.outputs));

    // Every stream message from now on, with the time it arrived.
    const streams: Array<{ at: number; parent: unknown; text: string }> = [];
    client.onIopub((msg: Message) => {
      if (msg.header.msg_type === "stream") streams.push({
        at: Date.now(), parent: msg.parent_header.msg_id, text: String(msg.content.text)
      });
    });

    let firstEpoch!: () => void;
    const started = new Promise<void>((r) => (firstEpoch = r));
    const cell = executeCell(client, 
      'await train(m, {x, y}, {epochs: 1000, batchSize: 8, progress: false, ' +
        'callbacks: {onEpochEnd: (e: number) => console.log("epoch " + e)}});',
      {
        timeoutMs: 60_000,
        stopOnError: false,
        onOutput: (o) => {
          if (o.output_type === "stream" && o.text.includes("epoch ")) firstEpoch();
        },
      },
    );
    await started;
    await new Promise((r) => setTimeout(r, 1000));
    await client.interrupt();
    const r = await cell;
    const ended = Date.now();
    assert.equal(r.status, "error");
    const err = r.outputs.find((o) => o.output_type === "error");
    assert.ok(err && err.output_type === "error" && /Interrupt/.test(err.ename + err.evalue), JSON.stringify(err));
    const printed = r.outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join("");
    const epochsPrinted = printed.split("epoch ").length - 1;
    assert.ok(epochsPrinted >= 1 && epochsPrinted < 1000, `${epochsPrinted} epochs printed`);

    const next = await executeCell(client, 'console.log("next cell");', { timeoutMs: 30_000, stopOnError: false });
    assert.equal(next.status, "ok");
    const nextText = next.outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join("");
    assert.equal(nextText, "next cell\n", "nothing from the interrupted training in the next cell");

    await new Promise((r) => setTimeout(r, 2000));
    const late = streams.filter((s) => s.at > ended && !(s.parent === next.reply.parent_header.msg_id && s.text === "next cell\n"));
    assert.deepEqual(late, [], "no stream output after the interrupted cell ended, except the next cell's own");

    // Training works again in a later cell.
    const again = await executeCell(
      client, 'const h = await train(m, {x, y}, {epochs: 3, progress: false});\nh.metrics.loss.length',
      { timeoutMs: 60_000, stopOnError: false }
    );
    assert.equal(again.status, "ok", JSON.stringify(again.outputs));
    const value = again.outputs.find((o) => o.output_type === "execute_result");
    assert.ok(value && value.output_type === "execute_result" && String(value.data["text/plain"]) === "3", JSON.stringify(again.outputs));
  });
});
