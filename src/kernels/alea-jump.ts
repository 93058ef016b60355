/**
 * seedrandom's alea generator jumped k draws ahead in O(log k) BigInt
 * operations, to exactly the state that k calls of its `next` would leave.
 *
 * alea (seedrandom lib/alea.js) is a lag-3 multiply-with-carry generator
 * whose double arithmetic is always exact. With b = 2^32 and a = 2091639 its
 * state is three fractions s0, s1, s2 (s0 the oldest), each an integer X/b
 * with 0 <= X < b, and an integer carry 0 <= c < a. One draw computes
 * T = a*X0 + c (< 2^53, so `2091639 * s0 + c * 2^-32` is exact), shifts the
 * state to (X1, X2, T mod b) with carry floor(T / b), and returns (T mod b)/b.
 *
 * The identity used (Marsaglia's, for multiply-with-carry generators): read
 * the state as one number y = c + a*(X0 + X1*b + X2*b^2) and let
 * m = a*b^3 - 1. One draw takes y to the y' with b*y' ≡ y (mod m),
 * 0 <= y' < m, and the draw's integer T mod b is y mod b. So k draws ahead
 *
 *   y_k = (b^-k mod m) * y_0 mod m,   with b^-1 = a*b^2 (as a*b^3 ≡ 1 mod m).
 *
 * Why y' is the reduced residue: c <= a - 1 and X <= b - 1 give y <= m, and
 * y' ≡ 0 only when y ≡ 0, i.e. at the two fixed points y = 0 (all zero) and
 * y = m (c = a - 1, every X = b - 1); any other y stays in [1, m). The state
 * comes back from y uniquely because c < a: c = y mod a and
 * X0 + X1*b + X2*b^2 = floor(y / a). The fixed point y = m, which the
 * residue would take for 0, is returned as it is.
 */

/** alea's state as seedrandom's `state()` returns it. */
export interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

const A = 2091639n;
const B = 1n << 32n;
const M = A * B * B * B - 1n;
const B_INVERSE = (A * B * B) % M;
const TWO_32 = 2 ** 32;

// b^-k mod m by k: a mask's lanes start at the same offsets every time its shape comes back.
const inversePowers = new Map<number, bigint>();
const MAX_CACHED = 256;

function inversePower(k: number): bigint {
  const cached = inversePowers.get(k);
  if (cached !== undefined) return cached;
  let result = 1n;
  let base = B_INVERSE;
  for (let e = BigInt(k); e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % M;
    base = (base * base) % M;
  }
  // Many distinct shapes (never the case in training) must not grow the cache without bound.
  if (inversePowers.size >= MAX_CACHED) inversePowers.clear();
  inversePowers.set(k, result);
  return result;
}

function word(s: number, name: string): bigint {
  const x = s * TWO_32;
  if (!(Number.isInteger(x) && x >= 0 && x < TWO_32)) throw new RangeError(`alea state: ${name} = ${s} is not an integer / 2^32 in [0, 1)`);
  return BigInt(x);
}

/** The state as the number y = c + a*(X0 + X1*b + X2*b^2), 0 <= y <= m. */
export function aleaStateNumber(state: AleaState): bigint {
  const { c } = state;
  if (!(Number.isInteger(c) && c >= 0 && BigInt(c) < A)) throw new RangeError(`alea state: carry ${c} is not an integer in [0, ${A})`);
  return BigInt(c) + A * (word(state.s0, "s0") + word(state.s1, "s1") * B + word(state.s2, "s2") * B * B);
}

/** The state whose number is y (0 <= y <= m): the inverse of aleaStateNumber. */
export function aleaStateFromNumber(y: bigint): AleaState {
  if (y < 0n || y > M) throw new RangeError(`alea state number out of [0, m]: ${y}`);
  const words = y / A;
  const x = (shift: bigint): number => Number((words >> shift) & (B - 1n)) / TWO_32;
  return { c: Number(y % A), s0: x(0n), s1: x(32n), s2: x(64n) };
}

/** The state alea reaches from `state` after k draws (k a non-negative safe integer). */
export function aleaJump(state: AleaState, k: number): AleaState {
  if (!(Number.isSafeInteger(k) && k >= 0)) throw new RangeError(`aleaJump: k must be a non-negative safe integer, got ${k}`);
  const y = aleaStateNumber(state);
  if (y === M || k === 0) return { ...state };
  return aleaStateFromNumber((inversePower(k) * y) % M);
}
