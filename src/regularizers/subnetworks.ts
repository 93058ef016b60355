/**
 * Dropout as an ensemble of subnetworks, enumerated exactly (book 7.12,
 * eqs. 7.52-7.66).
 *
 * A network with n droppable units (inputs and/or hidden units) defines 2^n
 * subnetworks, one per binary mask mu. Dropout training trains them all with
 * shared weights; the ideal prediction is an ensemble over masks weighted by
 * p(mu) = prod_i keep^mu_i (1 - keep)^(1 - mu_i) (uniform 2^-n at keep 0.5):
 *
 *   arithmetic mean   sum_mu p(mu) P(y | x; mu)                       (7.54)
 *   geometric mean    p~(y) = prod_mu P(y | x; mu)^p(mu),             (7.56)
 *                     renormalized p~(y) / sum_y' p~(y')              (7.58)
 *   weight scaling    one pass with all units on and the weights out of
 *                     every droppable unit multiplied by keep         (7.66)
 *
 * For softmax regression (no hidden layer) the renormalized geometric mean
 * EQUALS weight scaling, softmax(keep W^T v + b), because log P is linear in
 * mu up to a term that does not depend on y (7.59-7.65). With a hidden
 * nonlinearity weight scaling is only an approximation.
 *
 * Conventions: the book's NON-inverted masks (x * mu, no 1/keep), so weight
 * scaling multiplies by keep; the output layer is softmax; all arithmetic is
 * float64 on plain arrays (exact, independent of tfjs's float32).
 */
import type * as tf from "@tensorflow/tfjs";

/** A dense layer: W is [inputs][outputs], b is [outputs]. */
export interface DenseParams {
  W: number[][];
  b: number[];
}

export type HiddenActivation = "relu" | "tanh" | "sigmoid" | "linear";

/** A small MLP: hidden layers use `activation`, the last layer is softmax. */
export interface SmallNet {
  layers: DenseParams[];
  activation?: HiddenActivation;
}

export interface SubnetworkOptions {
  /** Keep probability of every droppable unit. Default 0.5. */
  keep?: number;
  /** Drop input units. Default true. */
  dropInputs?: boolean;
  /** Drop hidden units. Default true. */
  dropHidden?: boolean;
  /** Refuse more droppable units than this (2^n passes). Default 20. */
  maxUnits?: number;
}

export interface SubnetworkEnsemble {
  /** Number of droppable units n. */
  droppableUnits: number;
  /** Number of subnetworks 2^n. */
  subnetworks: number;
  /** [example][class] p(mu)-weighted arithmetic mean of member softmax outputs. */
  arithmeticMean: number[][];
  /** [example][class] renormalized p(mu)-weighted geometric mean. */
  geometricMean: number[][];
  /** [example][class] the weight-scaling rule's prediction. */
  weightScaled: number[][];
}

const ACTIVATIONS: Record<HiddenActivation, (z: number) => number> = {
  relu: (z) => (z > 0 ? z : 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  linear: (z) => z,
};

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return z.map((v) => v - lse);
}

function checkNet(net: SmallNet): void {
  if (!net.layers.length) throw new Error("enumerateSubnetworks: the net needs at least one (softmax) layer");
  net.layers.forEach((l, i) => {
    const outs = l.b.length;
    if (!l.W.length || l.W.some((row) => row.length !== outs)) {
      throw new Error(`enumerateSubnetworks: layer ${i} has W rows of unequal length or not matching b (${outs} outputs)`);
    }
    if (i > 0 && l.W.length !== net.layers[i - 1].b.length) {
      throw new Error(
        `enumerateSubnetworks: layer ${i} expects ${l.W.length} inputs but layer ${i - 1} has ${net.layers[i - 1].b.length} outputs`,
      );
    }
  });
}

/**
 * Forward pass with per-unit multipliers: `scales[0]` multiplies the inputs,
 * `scales[i]` the outputs of hidden layer i (0/1 for a mask, keep for
 * weight scaling). Returns log-probabilities.
 */
function forward(net: SmallNet, x: number[], scales: number[][]): number[] {
  const act = ACTIVATIONS[net.activation ?? "relu"];
  let h = x.map((v, i) => v * scales[0][i]);
  net.layers.forEach((layer, li) => {
    const z = layer.b.slice();
    for (let i = 0; i < h.length; i++) {
      if (h[i] === 0) continue;
      const row = layer.W[i];
      for (let j = 0; j < z.length; j++) z[j] += h[i] * row[j];
    }
    h = li === net.layers.length - 1 ? z : z.map((v, j) => act(v) * scales[li + 1][j]);
  });
  return logSoftmax(h);
}

/**
 * Enumerate all 2^n dropout masks of a small softmax network and compute the
 * exact ensemble predictions for each row of `x`.
 *
 * @example enumerateSubnetworks({layers: [l1, l2], activation: "relu"}, x)  // 2 inputs + 2 hidden: 16 subnetworks
 */
export function enumerateSubnetworks(net: SmallNet, x: number[][], options: SubnetworkOptions = {}): SubnetworkEnsemble {
  checkNet(net);
  const keep = options.keep ?? 0.5;
  if (!(keep > 0 && keep < 1)) throw new RangeError(`enumerateSubnetworks: keep must be in (0, 1), got ${keep}`);
  const dropInputs = options.dropInputs ?? true;
  const dropHidden = options.dropHidden ?? true;
  const maxUnits = options.maxUnits ?? 20;
  const d = net.layers[0].W.length;
  x.forEach((row, i) => {
    if (row.length !== d) throw new Error(`enumerateSubnetworks: x row ${i} has ${row.length} features, the net expects ${d}`);
  });

  // Unit groups: [inputs, hidden 1, ..., hidden L-1]; which are droppable.
  const sizes = [d, ...net.layers.slice(0, -1).map((l) => l.b.length)];
  const droppable = sizes.map((_, g) => (g === 0 ? dropInputs : dropHidden));
  const n = sizes.reduce((s, size, g) => s + (droppable[g] ? size : 0), 0);
  if (n > maxUnits) {
    throw new Error(`enumerateSubnetworks: ${n} droppable units means 2^${n} subnetworks; raise maxUnits or use mcDropoutPredict`);
  }
  const k = net.layers[net.layers.length - 1].b.length;
  const arith = x.map(() => new Array<number>(k).fill(0));
  const logGeo = x.map(() => new Array<number>(k).fill(0));

  const total = 2 ** n;
  for (let m = 0; m < total; m++) {
    let bit = 0;
    let logP = 0;
    const scales = sizes.map((size, g) =>
      Array.from({ length: size }, () => {
        if (!droppable[g]) return 1;
        const on = (m >> bit++) & 1;
        logP += Math.log(on ? keep : 1 - keep);
        return on;
      }),
    );
    const p = Math.exp(logP);
    x.forEach((row, e) => {
      const lp = forward(net, row, scales);
      for (let j = 0; j < k; j++) {
        arith[e][j] += p * Math.exp(lp[j]);
        logGeo[e][j] += p * lp[j];
      }
    });
  }
  const geometricMean = logGeo.map((lg) => logSoftmax(lg).map(Math.exp));
  const scaled = sizes.map((size, g) => new Array<number>(size).fill(droppable[g] ? keep : 1));
  const weightScaled = x.map((row) => forward(net, row, scaled).map(Math.exp));
  return { droppableUnits: n, subnetworks: total, arithmeticMean: arith, geometricMean, weightScaled };
}

/**
 * Read a small dense softmax network out of a tfjs model (Dense layers only;
 * dropout layers are skipped, everything else is refused). The hidden
 * activation is taken from the first Dense layer.
 */
export function smallNetFromModel(model: tf.LayersModel): SmallNet {
  const layers: DenseParams[] = [];
  let activation: HiddenActivation | undefined;
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  for (const l of model.layers) {
    const cls = l.getClassName();
    if (cls === "InputLayer" || /Dropout/.test(cls)) continue;
    if (cls !== "Dense") throw new Error(`smallNetFromModel: only Dense and dropout layers are supported, found ${cls}`);
  }
  dense.forEach((l, i) => {
    const cfg = l.getConfig();
    const act = String(cfg["activation"]);
    if (i === dense.length - 1) {
      if (act !== "softmax") throw new Error(`smallNetFromModel: the last Dense layer must use softmax, it uses ${act}`);
    } else {
      if (!(act in ACTIVATIONS)) throw new Error(`smallNetFromModel: hidden activation ${act} is not one of ${Object.keys(ACTIVATIONS)}`);
      if (activation && act !== activation) throw new Error("smallNetFromModel: all hidden layers must share one activation");
      activation = act as HiddenActivation;
    }
    const [W, b] = l.getWeights();
    if (!b) throw new Error(`smallNetFromModel: layer ${l.name} has no bias`);
    layers.push({ W: W.arraySync() as number[][], b: b.arraySync() as number[] });
  });
  return { layers, activation };
}
