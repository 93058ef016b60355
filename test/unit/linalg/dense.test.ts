import { test } from "node:test";
import assert from "node:assert/strict";
import * as la from "../../../src/linalg/dense";
import { rng } from "../../../src/random/seed";

function randomMatrix(n: number, m: number, s: number): la.Matrix {
  const r = rng(s);
  return Array.from({ length: n }, () => Array.from({ length: m }, () => r.normal()));
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test("solve, choleskySolve and inverse agree and reproduce b", () => {
  const X = randomMatrix(12, 8, 1);
  const A = la.addDiagonal(la.gram(X), 0.5);
  const b = randomMatrix(8, 1, 2).flat();
  const x1 = la.solve(A, b);
  const x2 = la.choleskySolve(A, b);
  const x3 = la.matvec(la.inverse(A), b);
  assert.ok(la.relativeDifference(la.matvec(A, x1), b) < 1e-13);
  assert.ok(la.relativeDifference(x1, x2) < 1e-12);
  assert.ok(la.relativeDifference(x1, x3) < 1e-12);
  const I = la.matmul(A, la.inverse(A));
  I.forEach((r, i) => r.forEach((v, j) => close(v, i === j ? 1 : 0, 1e-12, `A A^-1 [${i}][${j}]`)));
});

test("singular systems are refused", () => {
  const A = [[1, 1], [1, 1]];
  assert.throws(() => la.solve(A, [1, 1]), /singular/);
  assert.throws(() => la.cholesky(A), /positive definite/);
  assert.throws(() => la.solve([[1, 2, 3]], [1]), /square/);
});

test("symmetricEigen: A V = V diag(values), V orthogonal, values sorted", () => {
  const X = randomMatrix(5, 9, 3);
  const A = la.matmul(X, la.transpose(X));
  const { values, vectors } = la.symmetricEigen(A);
  for (let k = 1; k < values.length; k++) assert.ok(values[k - 1] >= values[k]);
  const V = vectors;
  const AV = la.matmul(A, V);
  AV.forEach((r, i) => r.forEach((v, j) => close(v, V[i][j] * values[j], 1e-10, `AV[${i}][${j}]`)));
  const VtV = la.matmul(la.transpose(V), V);
  VtV.forEach((r, i) => r.forEach((v, j) => close(v, i === j ? 1 : 0, 1e-12, `VᵀV[${i}][${j}]`)));
  // trace is the sum of eigenvalues; a rank-deficient Gram has zero eigenvalues
  close(values.reduce((s, v) => s + v, 0), A.reduce((s, r, i) => s + r[i], 0), 1e-10, "trace");
  const G = la.gram(X); // 9×9 of rank 5
  const g = la.symmetricEigen(G).values;
  g.slice(5).forEach((v) => assert.ok(Math.abs(v) < 1e-10 * g[0], `zero eigenvalue ${v}`));
  assert.throws(() => la.symmetricEigen([[1, 2], [0, 1]]), /symmetric/);
  const d = la.symmetricEigen([[2, 0], [0, 5]]);
  assert.deepEqual(d.values, [5, 2]);
});

test("orthonormalize gives orthonormal columns spanning the input", () => {
  const A = randomMatrix(6, 4, 4);
  const Q = la.orthonormalize(A);
  const QtQ = la.matmul(la.transpose(Q), Q);
  QtQ.forEach((r, i) => r.forEach((v, j) => close(v, i === j ? 1 : 0, 1e-12, `QᵀQ[${i}][${j}]`)));
  // projecting A's columns onto span(Q) leaves them unchanged
  const P = la.matmul(Q, la.transpose(Q));
  const PA = la.matmul(P, A);
  PA.forEach((r, i) => r.forEach((v, j) => close(v, A[i][j], 1e-12, `PA[${i}][${j}]`)));
  assert.throws(() => la.orthonormalize([[1, 2], [2, 4]]), /depends/);
});

test("ridge tends to the minimum-norm solution (eq. 7.29)", () => {
  const X = randomMatrix(5, 12, 5);
  const y = randomMatrix(5, 1, 6).flat();
  const Xt = la.transpose(X);
  const wPinv = la.matvec(Xt, la.solve(la.matmul(X, Xt), y));
  const ridge = (a: number) => la.choleskySolve(la.addDiagonal(la.gram(X), a), la.matvec(Xt, y));
  assert.ok(la.relativeDifference(ridge(1e-6), wPinv) < 1e-5);
  assert.ok(la.relativeDifference(ridge(1e-2), wPinv) > la.relativeDifference(ridge(1e-4), wPinv));
});

test("toMatrix / toVector", () => {
  assert.deepEqual(la.toMatrix([1, 2]), [[1], [2]]);
  assert.deepEqual(la.toVector([[1, 2], [3, 4]]), [1, 2, 3, 4]);
});
