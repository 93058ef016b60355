/**
 * The UCI optical digits (Alpaydin & Kaynak 1998, CC BY 4.0; see
 * data/digits/README.md): 1,797 8x8 images, pixels 0-16, labels 0-9.
 * Read from the shipped gzip file with Node's zlib; no network.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";

export interface Digits {
  /** [1797, 64] float32, pixels 0-16 (or 0-1 with `scale: true`). */
  x: tf.Tensor2D;
  /** [1797, 1] float32 labels 0-9 (one-hot [1797, 10] with `oneHot: true`). */
  y: tf.Tensor2D;
  /** Raw pixels, row-major, 1797*64 values 0-16. */
  images: Uint8Array;
  labels: Int32Array;
  n: number;
}

let cache: { images: Uint8Array; labels: Int32Array } | null = null;

/** The shipped file, found from this module upwards (works from src/ and dist/). */
export function digitsPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, "data", "digits", "digits.csv.gz");
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new Error("loadDigits: data/digits/digits.csv.gz not found next to the reglab package; reinstall reglab.");
}

function readDigits(): { images: Uint8Array; labels: Int32Array } {
  if (cache) return cache;
  const text = zlib.gunzipSync(fs.readFileSync(digitsPath())).toString("utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const images = new Uint8Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const v = line.split(",");
    if (v.length !== 65) throw new Error(`digits.csv.gz line ${i + 1}: expected 65 values, got ${v.length}`);
    for (let j = 0; j < 64; j++) images[i * 64 + j] = Number(v[j]);
    labels[i] = Number(v[64]);
  });
  cache = { images, labels };
  return cache;
}

/**
 * Load the digits. `scale: true` divides pixels by 16 (to [0, 1]);
 * `oneHot: true` returns y one-hot [n, 10].
 */
export function loadDigits(options: { scale?: boolean; oneHot?: boolean } = {}): Digits {
  const { images, labels } = readDigits();
  const n = labels.length;
  const x = tf.tidy(() => {
    const t = tf.tensor2d(Float32Array.from(images), [n, 64], "float32");
    return options.scale ? (tf.div(t, 16) as tf.Tensor2D) : t;
  });
  const y = options.oneHot
    ? tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, "int32"), 10), "float32") as tf.Tensor2D)
    : tf.tensor2d(Float32Array.from(labels), [n, 1], "float32");
  return { x, y, images: images.slice(), labels: labels.slice(), n };
}
