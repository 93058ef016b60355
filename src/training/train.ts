/**
 * `train(model, data, options)`: one training loop for tfjs LayersModels and
 * for from-scratch parameter sets, with the regularization tfjs gets wrong
 * done right:
 *
 * - penalties reported separately: `loss` is the data loss J, `penalty` is
 *   Omega (the `penalty` option plus any layer regularizers), each extra
 *   objective term (`terms`) under its own name, and `total` =
 *   dataWeight*J + Omega + sum terms is what is minimized; `val_loss` is J on
 *   the validation set;
 * - `lossWeights` really weight the outputs of a multi-output model
 *   (objective.ts);
 * - constraints (the `constraints` option and the layers' own
 *   `kernelConstraint`/`biasConstraint`, which `fit` ignores) are applied
 *   after every update;
 * - the model runs with `training: true`, so dropout is active; `augment`
 *   transforms every training batch (never validation data);
 * - data are checked against the model before any work (data-checks.ts);
 * - a kernel interrupt (src/runtime/interrupt.ts) stops it after the
 *   current step with an InterruptedError: per-run tensors are released and
 *   callbacks still get onTrainEnd. The loop yields to the event loop every
 *   25 ms so that the interrupt (and timers, I/O) can arrive at all.
 *
 * Speed: each step is one gradient computation + `applyGradients` in a
 * tidy (what `optimizer.minimize` does), with pure L2 penalties' gradient
 * alpha*w added directly instead of differentiated; per-batch logs are
 * accumulated on the device (batch value x batch size) and read once per
 * epoch. Shuffling permutes the data once per epoch with `Math.random`
 * (seeded by `seed(n)`), so runs are bit-identical under a seed.
 *
 * Epoch loss = sum over batches of (batch mean loss x batch size) / n, the
 * same convention as tfjs `fit`, evaluated during the epoch (before each
 * step's update).
 */
import * as tf from "@tensorflow/tfjs";
import { CallbackRunner, type Logs, type TrainState } from "./callbacks";
import { History } from "./history";
import { NormPenalty } from "../regularizers/norm-penalties";
import { resolveOptimizer } from "./optimizers";
import { collectConstraints, applyProjections } from "../regularizers/constraints";
import { interruptGuard } from "../runtime/interrupt";
import { recordTape, releaseTape } from "../runtime/failed-tape";
import { TrainingProgress } from "../charts/progress";
import { asTrainableModel, forward, isLayersModel, layerLossesOf, outputNames, trainableVariables } from "./model-adapter";
import { buildObjective, dataLoss, evaluateVector, objectiveTerms, type Objective } from "./objective";
import { checkData, checkOutputs, type CheckedData } from "./data-checks";
import { adversarialTraining } from "../regularizers/adversarial";
import { semiSupervisedTerm } from "../regularizers/semi-supervised";
import type { BatchTransform, Dataset, ObjectiveTerm, PrepareContext, Trainable, TrainOptions } from "./types";
import { denseChainGradients, denseChainOf } from "./dense-chain";
import { fusedAdamUpdate } from "../kernels/adam";

export type * from "./types";
export { asTrainableModel, outputNames, targetList, trainableVariables } from "./model-adapter";
export { buildObjective, evaluateModel, type Objective } from "./objective";

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Train `model` on `data`. Returns the per-epoch History.
 *
 * @example
 *   const h = await train(mlp({inputs: 2, hidden: [16], outputs: 1, outputActivation: "sigmoid"}),
 *     {x, y}, {epochs: 100, loss: "binaryCrossentropy", optimizer: "adam", learningRate: 0.01,
 *              penalty: l2(1e-3), metrics: ["accuracy"], validationData: test});
 */
export async function train(model: Trainable, data: Dataset, options: TrainOptions = {}): Promise<History> {
  const epochs = options.epochs ?? 10;
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`epochs must be an integer >= 0, got ${epochs}`);
  const vars = trainableVariables(model);
  if (vars.length === 0) throw new Error("train: the model has no trainable variables.");
  const obj = buildObjective(outputNames(model, data.y), options.loss, options.lossWeights, options.metrics);
  if (options.augment !== undefined && typeof options.augment !== "function") {
    throw new TypeError(`train: augment must be a function ({x, y}) => {x, y}, got ${typeof options.augment}.`);
  }
  if (options.augment && obj.names.length > 1) {
    throw new Error(`train: augment takes single-output models; this one has ${obj.names.length} outputs (${obj.names.join(", ")}).`);
  }
  const checked = await checkData(model, data, obj, "train data");
  let val: CheckedData | null = null;
  // The convenience options are terms too (a copy: the caller's array is not changed).
  const terms = [...asList(options.terms), ...(options.adversarial ? [adversarialTraining(options.adversarial)] : [])];
  if (options.semiSupervised || options.unlabeled) terms.push(semiSupervisedTerm(options.unlabeled, options.semiSupervised));
  const setUp: ObjectiveTerm[] = [];
  try {
    if (options.validationData) val = await checkData(model, options.validationData, obj, "validationData");
    for (const t of terms) {
      t.setup?.(model, data);
      setUp.push(t);
    }
    return await trainChecked(model, checked, val, obj, vars, terms, options);
  } finally {
    for (const t of setUp) t.teardown?.();
    tf.dispose([...checked.owned, ...(val?.owned ?? [])]);
  }
}

/** Let timers, I/O and signals (a kernel interrupt) in at least this often; the loop is otherwise synchronous between epochs. */
const YIELD_EVERY_MS = 25;

const macrotask = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** A Fisher–Yates permutation of 0..n-1 drawn from Math.random (seeded by `seed`). */
function shufflePermutation(n: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** The augmented batch, checked: a transform must return tensors with the batch's rows. */
function augmentBatch(augment: BatchTransform, x: tf.Tensor, ys: tf.Tensor[]): { x: tf.Tensor; ys: tf.Tensor[] } {
  const out = augment({ x, y: ys[0] });
  if (!out || !(out.x instanceof tf.Tensor) || !(out.y instanceof tf.Tensor)) {
    throw new TypeError("train: augment must return {x: tf.Tensor, y: tf.Tensor}.");
  }
  if (out.x.shape.join() !== x.shape.join()) {
    throw new Error(
      `train: augment returned x of shape [${out.x.shape}] for a batch of shape [${x.shape}]: a transform must keep the shape.`,
    );
  }
  if (out.y.shape.join() !== ys[0].shape.join()) {
    throw new Error(`train: augment returned y of shape [${out.y.shape}] for targets of shape [${ys[0].shape}].`);
  }
  return { x: out.x, ys: [out.y] };
}

async function trainChecked(
  model: Trainable,
  checked: CheckedData,
  val: CheckedData | null,
  obj: Objective,
  vars: tf.Variable[],
  terms: ObjectiveTerm[],
  options: TrainOptions,
): Promise<History> {
  const epochs = options.epochs ?? 10;
  const initialEpoch = options.initialEpoch ?? 0;
  const x = checked.x;
  const ys = checked.ys;
  const validation: Dataset | null = val ? { x: val.x, y: val.ys } : null;
  const n = x.shape[0];
  if (n === 0) throw new Error("train: the data set is empty.");
  const batchSize = Math.min(options.batchSize ?? 32, n);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
  // A parameter set's output shapes are known only from a forward pass: one
  // row, training false (no dropout draws, so the random stream is as without
  // it), outside any gradient tape (a throw inside tfjs's tape leaks the
  // tensors it saved for the backward pass).
  if (!isLayersModel(model)) {
    tf.tidy(() => checkOutputs(obj, ys, forward(model, x.slice(0, 1), false)));
  }
  const batches = Math.ceil(n / batchSize);
  const shuffle = options.shuffle ?? true;
  const augment = options.augment;

  const penalties = asList(options.penalty);
  const penaltyVars = penalties.map((p) => vars.filter((v) => p.appliesTo(v)));
  const layerLosses = layerLossesOf(model);
  const projections = collectConstraints(model, vars, options.constraints);
  const termNames = terms.map((t) => t.name);
  const dataWeight = terms.reduce((w, t) => w * (t.dataWeight ?? 1), 1);
  const clash = termNames.find((k, i) => termNames.indexOf(k) !== i || ["loss", "penalty", "total", ...obj.keys].includes(k));
  if (clash !== undefined) throw new Error(`train: two objective terms, or a term and a log, share the name "${clash}".`);

  const callbacks = asList(options.callbacks);
  const state: TrainState = { stopTraining: false, epoch: initialEpoch };
  const runner = new CallbackRunner(callbacks, state);
  const target = asTrainableModel(model);
  target.stopTraining = false;
  const params = { epochs, initialEpoch, batchSize, samples: n, steps: batches, shuffle, metrics: obj.keys };
  runner.setModel(isLayersModel(model) ? model : target, params);
  const history = new History(params);
  const logKeys = [obj.keys[0], "penalty", ...termNames, "total", ...obj.keys.slice(1)];
  const valKeys = validation ? obj.keys.map((k) => `val_${k}`) : [];
  const progress =
    options.progress === false
      ? null
      : new TrainingProgress({
          epochs: Math.max(1, epochs),
          batchesPerEpoch: batches,
          title: options.title ?? "Training",
          metrics: [...logKeys, ...valKeys],
        });

  // Pure L2 penalties skip autodiff: their gradient alpha*w is added to the
  // data gradient directly (2 kernels per variable instead of ~10 taped
  // forward/backward ones). Bitwise the same: autodiff computes
  // (alpha/2)*(2w), which equals alpha*w exactly in float32 (scaling by 2 is
  // exact), and the two contributions are summed by one commutative add.
  // Their value, for the logs, is computed outside the tape.
  const fused = penalties.map((p) => p instanceof NormPenalty && p.l1 === 0 && p.l2 > 0);
  const fusedL2 = penalties
    .map((p, i) => ({ l2: p instanceof NormPenalty ? p.l2 : 0, vars: penaltyVars[i], on: fused[i] }))
    .filter((f) => f.on && f.vars.length > 0);
  let stepCount = 0;
  // The hand-derived step (dense-chain.ts) when nothing needs the tape: no
  // terms, no layer losses, only pure L2 penalties, one categorical
  // cross-entropy output. `augment` only changes the batch, so it is fine.
  const fast = options.fastPath ?? true;
  const wants = (k: "denseChain" | "fusedAdam") => (typeof fast === "boolean" ? fast : (fast[k] ?? true));
  const oneCrossEntropy = obj.names.length === 1 && obj.lossSpecs[0] === "categoricalCrossentropy" && obj.lossWeights[0] === 1;
  const plainObjective = terms.length === 0 && fused.every(Boolean) && oneCrossEntropy;
  const chain = wants("denseChain") && plainObjective && tf.tidy(() => layerLosses().length === 0) ? denseChainOf(model, vars) : null;
  const fusedAdam = wants("fusedAdam");

  // Penalty values at the weights before the update, summed in the same order as the objective (penalties, then
  // layer losses); then the update, with pure L2 penalties' gradient added first.
  const penaltyAndUpdate = (grads: Record<string, tf.Tensor>, taped: Array<tf.Scalar | null>, layer: tf.Scalar[]): tf.Scalar => {
    let pen: tf.Scalar = tf.scalar(0);
    penalties.forEach((p, i) => (pen = tf.add(pen, taped[i] ?? p.value(penaltyVars[i])) as tf.Scalar));
    for (const l of layer) pen = tf.add(pen, l) as tf.Scalar;
    for (const f of fusedL2) {
      for (const v of f.vars) {
        const decay = tf.mul(v, f.l2);
        const g = grads[v.name];
        grads[v.name] = g ? tf.add(g, decay) : decay;
      }
    }
    // As optimizer.minimize(f, false, vars) does: gradients in the order of `vars`.
    const gradList = vars.map((v) => grads[v.name]);
    if (!(fusedAdam && fusedAdamUpdate(optimizer, vars, gradList))) {
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    }
    return pen;
  };
  const foldable = fusedAdam && penalties.length <= 1 && fusedL2.length === penalties.length;
  const foldedDecay = fusedL2[0] && { l2: fusedL2[0].l2, applies: vars.map((v) => fusedL2[0].vars.includes(v)) };

  // One step: returns [data, penalty, terms..., total, per-output..., metrics...] x size.
  const step = (xIn: tf.Tensor, yIn: tf.Tensor[], size: number, epoch: number): tf.Tensor1D =>
    tf.tidy(() => {
      const { x: xb, ys: yb } = augment ? augmentBatch(augment, xIn, yIn) : { x: xIn, ys: yIn };
      const base: PrepareContext = {
        model,
        x: xb,
        ys: yb,
        loss: (t, o) => dataLoss(obj, t, o).data,
        forward: (xx, training) => forward(model, xx, training),
        epoch,
        epochs: initialEpoch + epochs,
        step: stepCount,
      };
      // Term preparation (adversarial examples, unlabelled batches) happens before the tape records anything.
      const prepared = terms.map((t) => (t.prepare ? t.prepare(base) : undefined));
      let logTerms: tf.Scalar[] = [];
      let extra: tf.Scalar[] = [];
      let taped: Array<tf.Scalar | null> = penalties.map(() => null);
      let layer: tf.Scalar[] = [];
      let tape: ReturnType<typeof recordTape> = null;
      // Taped objective: data loss + what autodiff must handle (L1 / elastic net, layer regularizers, terms).
      // The log terms are kept out of the gradient scope and disposed below.
      const objective = (): tf.Scalar => {
        tape = recordTape();
        const outs = forward(model, xb, true);
        const o = objectiveTerms(obj, yb, outs);
        logTerms = o.terms.map((t) => tf.keep(t));
        taped = penalties.map((p, i) => (fused[i] ? null : tf.keep(p.value(penaltyVars[i]))));
        layer = layerLosses().map((l) => tf.keep(l));
        extra = terms.map((t, i) => tf.keep(t.value({ ...base, outputs: outs, dataLoss: o.data, prepared: prepared[i] })));
        let total = dataWeight === 1 ? o.data : (tf.mul(o.data, dataWeight) as tf.Scalar);
        for (const t of [...taped, ...layer, ...extra]) if (t) total = tf.add(total, t) as tf.Scalar;
        return total;
      };
      const kept = (): tf.Tensor[] => [...logTerms, ...layer, ...extra, ...taped.filter((t): t is tf.Scalar => t !== null)];
      let value: tf.Scalar | null = null;
      let grads: Record<string, tf.Tensor>;
      if (chain) {
        const r = denseChainGradients(chain, xb, yb[0]);
        grads = r.grads;
        logTerms = [r.loss, ...obj.metrics.map((m) => m.fn(yb[0], r.probs))];
      } else {
        try {
          ({ value, grads } = optimizer.computeGradients(objective, vars));
        } catch (e) {
          // A throwing model, penalty or term must not leak what was kept or taped (src/runtime/failed-tape.ts).
          tf.dispose(kept());
          releaseTape(tape);
          throw e;
        }
      }
      // The dense step with Adam takes a single L2 penalty into its update kernel (src/kernels/adam.ts).
      const folded = chain && foldable ? fusedAdamUpdate(optimizer, vars, vars.map((v) => grads[v.name]), foldedDecay) : false;
      const pen = folded ? (folded.penalty ?? tf.scalar(0)) : penaltyAndUpdate(grads, taped, layer);
      if (projections.length) applyProjections(projections);
      stepCount++;
      let total = tf.add(dataWeight === 1 ? logTerms[0] : tf.mul(logTerms[0], dataWeight), pen);
      for (const e of extra) total = tf.add(total, e);
      const logs = tf.mul(tf.stack([logTerms[0], pen, ...extra, total, ...logTerms.slice(1)]), size) as tf.Tensor1D;
      tf.dispose([...(value ? [value] : []), ...kept()]);
      return logs;
    });

  // Interrupts (src/runtime/interrupt.ts) are checked after every step, when
  // weights and optimizer state are consistent, and after each yield.
  const checkInterrupt = interruptGuard("training");
  let lastYield = Date.now();
  // Created last, so that every error after it goes through the finally that disposes it.
  const { optimizer, owned } = resolveOptimizer(options.optimizer ?? "sgd", options.learningRate, options.weightDecay);
  let lastLogs: Logs = {};
  try {
    await runner.trainBegin({});
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
      state.epoch = epoch;
      const t0 = Date.now();
      await runner.epochBegin(epoch, {});
      const perm = shuffle ? tf.tensor1d(shufflePermutation(n), "int32") : null;
      const xs = perm ? tf.gather(x, perm) : x;
      const yss = perm ? ys.map((y) => tf.gather(y, perm)) : ys;
      perm?.dispose();
      let acc: tf.Tensor1D | null = null;
      let sums: tf.TypedArray;
      let seen = 0;
      try {
        for (let b = 0; b < batches; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, n - start);
          if (runner.hasBatchBegin) await runner.batchBegin(b, { batch: b, size });
          const whole = size === n;
          const xb = whole ? xs : xs.slice(start, size);
          const yb = whole ? yss : yss.map((y) => y.slice(start, size));
          let v: tf.Tensor1D;
          try {
            v = step(xb, yb, size, epoch);
          } finally {
            if (!whole) {
              xb.dispose();
              yb.forEach((t) => t.dispose());
            }
          }
          seen += size;
          if (acc) {
            const next = tf.add(acc, v) as tf.Tensor1D;
            acc.dispose();
            v.dispose();
            acc = next;
          } else acc = v;
          if (runner.hasBatchEnd) await runner.batchEnd(b, { batch: b, size });
          progress?.batch(epoch - initialEpoch, b, {});
          checkInterrupt();
          if (Date.now() - lastYield >= YIELD_EVERY_MS) {
            await macrotask();
            lastYield = Date.now();
            checkInterrupt();
          }
          if (state.stopTraining || target.stopTraining) break;
        }
        sums = await acc!.data();
      } finally {
        if (perm) {
          xs.dispose();
          yss.forEach((t) => t.dispose());
        }
        acc?.dispose();
      }
      const logs: Logs = {};
      // Divide by the rows actually seen: a callback may stop in mid-epoch.
      logKeys.forEach((k, i) => (logs[k] = sums[i] / seen));
      if (validation) {
        const vv = evaluateVector(model, obj, validation, batchSize);
        const vals = await vv.data();
        vv.dispose();
        valKeys.forEach((k, i) => (logs[k] = vals[i]));
      }
      await runner.epochEnd(epoch, logs);
      history.record(epoch, logs, Date.now() - t0);
      progress?.epoch(epoch - initialEpoch, logs);
      lastLogs = logs;
      if (state.stopTraining || target.stopTraining) {
        history.stoppedEpoch = epoch;
        break;
      }
    }
  } catch (e) {
    // Interrupted or failed: callbacks still get onTrainEnd, so they release
    // what they hold and leave the weights clean (weight noise is removed,
    // early stopping restores its best snapshot). The first error is the one
    // reported; a second one from a callback is logged, not lost.
    await runner.trainEnd(lastLogs).catch((second: unknown) => {
      console.error(
        `train: a callback's onTrainEnd also failed while stopping: ${second instanceof Error ? second.message : String(second)}`,
      );
    });
    throw e;
  } finally {
    progress?.done(lastLogs);
    if (owned) optimizer.dispose();
  }
  await runner.trainEnd(lastLogs);
  return history;
}
