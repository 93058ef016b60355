import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train, evaluateModel, asTrainableModel, type ParamSet } from "../../../src/training/train";
import { EarlyStopping, retrainOnAll, continueOnAll } from "../../../src/training/early-stopping";
import type { TrainState } from "../../../src/training/callbacks";
import { mlp } from "../../../src/models/mlp";
import { twoMoons } from "../../../src/data/two-moons";
import { trainTestSplit } from "../../../src/data/split";

/** Feed a scripted sequence; the variable holds the epoch number at each epoch end. */
async function scripted(seq: number[], opts: ConstructorParameters<typeof EarlyStopping>[0]) {
  const v = tf.variable(tf.scalar(-1));
  const ps: ParamSet = { params: [v], predict: (x) => x };
  const es = new EarlyStopping(opts);
  const model = asTrainableModel(ps);
  es.setModel(model as never);
  const state: TrainState = { stopTraining: false, epoch: 0 };
  await es.onTrainBegin();
  let ran = 0;
  for (let e = 0; e < seq.length && !state.stopTraining; e++) {
    v.assign(tf.scalar(e));
    await es.onEpochEnd(e, { val_loss: seq[e], val_acc: -seq[e] }, state);
    ran++;
  }
  await es.onTrainEnd();
  const final = v.dataSync()[0];
  v.dispose();
  return { es, ran, final, modelStopped: model.stopTraining };
}

test("patience, minDelta, mode, baseline, startFromEpoch on a scripted loss sequence", async () => {
  const seq = [1.0, 0.8, 0.85, 0.7, 0.75, 0.76, 0.77, 0.6];
  // patience 2: best at 3, then 4 and 5 do not improve -> stop at 5.
  let r = await scripted(seq, { patience: 2, restoreBestWeights: true });
  assert.equal(r.es.stoppedEpoch, 5);
  assert.equal(r.es.bestEpoch, 3);
  assert.equal(r.ran, 6);
  assert.equal(r.final, 3, "restored the weights of epoch 3");
  assert.equal(r.modelStopped, true);
  // minDelta 0.15: 0.8 improves on 1.0 by 0.2; 0.7 does not beat 0.8 by 0.15 -> stop at 3.
  r = await scripted(seq, { patience: 2, minDelta: 0.15 });
  assert.equal(r.es.stoppedEpoch, 3);
  assert.equal(r.es.bestEpoch, 1);
  // mode auto on an accuracy (max): same epochs on the mirrored sequence.
  r = await scripted(seq, { monitor: "val_acc", patience: 2 });
  assert.equal(r.es.mode, "max");
  assert.equal(r.es.stoppedEpoch, 5);
  // patience long enough: never stops; without restore the final weights stay.
  r = await scripted(seq, { patience: 10 });
  assert.equal(r.es.stoppedEpoch, -1);
  assert.equal(r.es.bestEpoch, 7);
  assert.equal(r.final, 7);
  // baseline 0.65: improvements above it do not reset the counter -> stop at epoch 2.
  r = await scripted(seq, { patience: 2, baseline: 0.65 });
  assert.equal(r.es.stoppedEpoch, 2);
  // startFromEpoch 4: epochs 0-3 ignored; best 0.75 at 4; 5, 6 worse -> stop at 6.
  r = await scripted(seq, { patience: 2, startFromEpoch: 4, restoreBestWeights: true });
  assert.equal(r.es.stoppedEpoch, 6);
  assert.equal(r.es.bestEpoch, 4);
  assert.equal(r.final, 4);
  // Missing monitor: a clear error.
  const es = new EarlyStopping({ monitor: "val_loss" });
  await assert.rejects(es.onEpochEnd(0, { loss: 1 }), /"val_loss" is not in the epoch logs \(loss\)/);
});

async function overfitSetup(s: number) {
  seed(s);
  const all = twoMoons({ n: 120, noise: 0.35 });
  const split = trainTestSplit(all, { testFraction: 0.5, seed: s });
  all.x.dispose();
  all.y.dispose();
  return split;
}

test("real training: restored weights equal the best epoch's weights, in train and in model.fit; no leaks", async () => {
  await useBackend("cpu", { quiet: true });
  for (const mode of ["train", "fit"] as const) {
    const { train: tr, test: va } = await overfitSetup(13);
    seed(13);
    const m = mlp({ inputs: 2, hidden: [64, 64], outputs: 1, outputActivation: "sigmoid" });
    const snapshots: number[][][] = [];
    const valLosses: number[] = [];
    const recorder = {
      onEpochEnd: async (_e: number, logs?: Record<string, unknown>) => {
        const v = logs!.val_loss;
        valLosses.push(v instanceof tf.Tensor ? v.dataSync()[0] : (v as number));
        snapshots.push(m.getWeights().map((w) => Array.from(w.dataSync())));
      },
    };
    const es = new EarlyStopping({ patience: 4, restoreBestWeights: true });
    const tensorsBefore = tf.memory().numTensors;
    if (mode === "train") {
      await train(m, tr, {
        epochs: 80, batchSize: 8, optimizer: "adam", learningRate: 0.02, loss: "binaryCrossentropy", validationData: va,
        callbacks: [recorder, es], progress: false
      });
    } else {
      m.compile({ optimizer: tf.train.adam(0.02), loss: "binaryCrossentropy" });
      await m.fit(tr.x, tr.y, {
        epochs: 80, batchSize: 8, validationData: [va.x, va.y], callbacks: [new tf.CustomCallback(recorder), es], verbose: 0
      });
    }
    assert.ok(es.stoppedEpoch > 0 && es.stoppedEpoch < 79, `${mode}: stopped at ${es.stoppedEpoch}`);
    const argmin = valLosses.indexOf(Math.min(...valLosses));
    assert.equal(es.bestEpoch, argmin, `${mode}: best epoch is the argmin of val_loss`);
    assert.equal(es.stoppedEpoch - es.bestEpoch, 4, "stopped patience epochs after the best");
    const now = m.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(now, snapshots[argmin], `${mode}: weights restored to epoch ${argmin}`);
    assert.notDeepEqual(now, snapshots[snapshots.length - 1]);
    if (mode === "train") assert.equal(tf.memory().numTensors, tensorsBefore, "snapshots disposed");
    m.dispose();
    [tr.x, tr.y, va.x, va.y].forEach((t) => t.dispose());
  }
});

test("Algorithm 7.2 (retrainOnAll) and 7.3 (continueOnAll)", async () => {
  await useBackend("cpu", { quiet: true });
  const { train: tr, test: va } = await overfitSetup(17);
  const common = {
    batchSize: 8, optimizer: "adam" as const, learningRate: 0.02, loss: "binaryCrossentropy" as const, progress: false as const, epochs: 60
  };
  seed(17);
  const r2 = await retrainOnAll(
    () => mlp({ inputs: 2, hidden: [32, 32], outputs: 1, outputActivation: "sigmoid" }), { train: tr, validation: va },
    { ...common, earlyStopping: { patience: 3 } }
  );
  assert.equal(r2.history.epoch.length, r2.bestEpochs, "retrained for i* epochs");
  assert.equal(r2.history.params.samples, tr.x.shape[0] + va.x.shape[0], "on train + validation");
  assert.ok(r2.firstHistory.epoch.length > r2.bestEpochs);
  (r2.model as tf.LayersModel).dispose();
  (r2.firstModel as tf.LayersModel).dispose();

  seed(17);
  const m = mlp({ inputs: 2, hidden: [32, 32], outputs: 1, outputActivation: "sigmoid" });
  const r3 = await continueOnAll(m, { train: tr, validation: va }, { ...common, earlyStopping: { patience: 3 }, maxEpochs: 40 });
  const trainLossAtBest = r3.epsilon;
  assert.ok(Number.isFinite(trainLossAtBest));
  const last = r3.history.last("val_loss")!;
  if (r3.reached) {
    assert.ok(last < trainLossAtBest, "stopped once val_loss < eps");
    r3.history.metrics.val_loss.slice(0, -1).forEach((v) => assert.ok(v >= trainLossAtBest));
  } else assert.equal(r3.history.epoch.length, 40, "max-epochs guard");
  assert.equal(r3.history.epoch[0], r3.firstHistory.epoch.length, "epochs continue the numbering");
  const ev = await evaluateModel(m, va, { loss: "binaryCrossentropy" });
  assert.ok(Math.abs(ev.loss - last) < 1e-5);
  m.dispose();
  [tr.x, tr.y, va.x, va.y].forEach((t) => t.dispose());
});
