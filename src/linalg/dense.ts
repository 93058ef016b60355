/**
 * Small dense linear algebra in float64 (plain JavaScript numbers), for the
 * claims a notebook must check exactly: tfjs is float32-only, so a ridge
 * solution near a singular XᵀX, a pseudo-inverse or an eigen-decomposition
 * is computed here instead.
 *
 * Matrices are row arrays (`number[][]`), vectors `number[]`. Nothing is
 * modified in place. Sizes up to a few hundred are fine (O(n³) algorithms).
 */
import type * as tf from "@tensorflow/tfjs";

export type Matrix = number[][];
export type Vector = number[];

/** A tensor (rank 1 or 2) or nested array as a float64 matrix: rank 1 becomes a column. */
export function toMatrix(t: tf.Tensor | Matrix | Vector): Matrix {
  const a = Array.isArray(t) ? t : (t.arraySync() as number[] | number[][]);
  if (a.length === 0) return [];
  return Array.isArray(a[0]) ? (a as Matrix).map((r) => r.slice()) : (a as Vector).map((v) => [v]);
}

/** A tensor or array flattened to a float64 vector. */
export function toVector(t: tf.Tensor | Vector | Matrix): Vector {
  if (!Array.isArray(t)) return Array.from(t.dataSync());
  return (t as Array<number | number[]>).flat() as Vector;
}

function dims(A: Matrix): [number, number] {
  return [A.length, A.length ? A[0].length : 0];
}

function checkSquare(A: Matrix, what: string): number {
  const [n, m] = dims(A);
  if (n !== m) throw new Error(`${what}: expected a square matrix, got ${n}×${m}`);
  return n;
}

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function transpose(A: Matrix): Matrix {
  const [n, m] = dims(A);
  return Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, i) => A[i][j]));
}

export function matmul(A: Matrix, B: Matrix): Matrix {
  const [n, k] = dims(A);
  const [k2, m] = dims(B);
  if (k !== k2) throw new Error(`matmul: inner sizes differ (${n}×${k} times ${k2}×${m})`);
  const C = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) {
    const Ci = C[i];
    for (let p = 0; p < k; p++) {
      const a = A[i][p];
      if (a === 0) continue;
      const Bp = B[p];
      for (let j = 0; j < m; j++) Ci[j] += a * Bp[j];
    }
  }
  return C;
}

export function matvec(A: Matrix, v: Vector): Vector {
  const [, m] = dims(A);
  if (m !== v.length) throw new Error(`matvec: matrix has ${m} columns, vector has ${v.length} entries`);
  return A.map((r) => r.reduce((s, a, j) => s + a * v[j], 0));
}

/** AᵀA (the Gram matrix of the columns). */
export function gram(A: Matrix): Matrix {
  return matmul(transpose(A), A);
}

/** A + alpha I. */
export function addDiagonal(A: Matrix, alpha: number): Matrix {
  checkSquare(A, "addDiagonal");
  return A.map((r, i) => r.map((v, j) => (i === j ? v + alpha : v)));
}

export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new Error(`dot: lengths differ (${a.length} and ${b.length})`);
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

export function sub(a: Vector, b: Vector): Vector {
  if (a.length !== b.length) throw new Error(`sub: lengths differ (${a.length} and ${b.length})`);
  return a.map((v, i) => v - b[i]);
}

export function scale(a: Vector, s: number): Vector {
  return a.map((v) => v * s);
}

/** ‖a − b‖ / ‖b‖. */
export function relativeDifference(a: Vector, b: Vector): number {
  return norm(sub(a, b)) / norm(b);
}

/** Lower-triangular L with A = L Lᵀ; throws if A is not (numerically) positive definite. */
export function cholesky(A: Matrix): Matrix {
  const n = checkSquare(A, "cholesky");
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`cholesky: the matrix is not positive definite (pivot ${i} is ${s})`);
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  return L;
}

/** Solve A x = b for symmetric positive definite A (Cholesky). */
export function choleskySolve(A: Matrix, b: Vector): Vector {
  const L = cholesky(A);
  const n = L.length;
  if (b.length !== n) throw new Error(`choleskySolve: A is ${n}×${n} but b has ${b.length} entries`);
  const z = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z[i] = s / L[i][i];
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}

/** Solve A x = b by Gaussian elimination with partial pivoting; throws if A is singular. */
export function solve(A: Matrix, b: Vector): Vector {
  const n = checkSquare(A, "solve");
  if (b.length !== n) throw new Error(`solve: A is ${n}×${n} but b has ${b.length} entries`);
  const M = A.map((r, i) => [...r, b[i]]);
  const scaleOf = Math.max(...A.map((r) => Math.max(...r.map(Math.abs))), 0);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(M[i][c]) > Math.abs(M[p][c])) p = i;
    if (Math.abs(M[p][c]) <= 1e-14 * scaleOf) throw new Error(`solve: the matrix is singular (no pivot in column ${c})`);
    [M[c], M[p]] = [M[p], M[c]];
    for (let i = c + 1; i < n; i++) {
      const f = M[i][c] / M[c][c];
      if (f === 0) continue;
      for (let j = c; j <= n; j++) M[i][j] -= f * M[c][j];
    }
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j];
    x[i] = s / M[i][i];
  }
  return x;
}

/** A⁻¹ (column by column with `solve`). */
export function inverse(A: Matrix): Matrix {
  const n = checkSquare(A, "inverse");
  const cols = identity(n).map((e) => solve(A, e));
  return transpose(cols);
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations:
 * A = V diag(values) Vᵀ, values in descending order, eigenvectors in the
 * COLUMNS of `vectors`.
 */
export function symmetricEigen(A: Matrix, options: { tolerance?: number; maxSweeps?: number } = {}): { values: Vector; vectors: Matrix } {
  const n = checkSquare(A, "symmetricEigen");
  const tol = options.tolerance ?? 1e-14;
  const maxSweeps = options.maxSweeps ?? 100;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.abs(A[i][j] - A[j][i]);
      if (d > 1e-10 * (Math.abs(A[i][j]) + Math.abs(A[j][i]) + 1e-300))
        throw new Error(`symmetricEigen: the matrix is not symmetric (A[${i}][${j}] ≠ A[${j}][${i}])`);
    }
  }
  const a = A.map((r) => r.slice());
  const V = identity(n);
  const total = a.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off <= tol * tol * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p];
          const vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return { values: order.map((i) => a[i][i]), vectors: V.map((r) => order.map((i) => r[i])) };
}

/** Orthonormal columns spanning A's columns (modified Gram–Schmidt; A must have full column rank). */
export function orthonormalize(A: Matrix): Matrix {
  const [n, m] = dims(A);
  const cols = transpose(A);
  const Q: Vector[] = [];
  for (let j = 0; j < m; j++) {
    let v = cols[j].slice();
    for (const q of Q) v = sub(v, scale(q, dot(q, v)));
    const len = norm(v);
    if (!(len > 1e-12 * (norm(cols[j]) || 1))) throw new Error(`orthonormalize: column ${j} depends on the previous ones`);
    Q.push(scale(v, 1 / len));
  }
  return n ? transpose(Q) : [];
}
