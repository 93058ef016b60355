/**
 * The one timeout helper of the client: `p`, or — if `ms` > 0 and `p` has
 * not settled by then — what `onTimeout` returns (or throws). The timer is
 * cleared as soon as either side wins; `p` itself is never cancelled.
 */
export function withTimeout<T, U = T>(p: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  if (!(ms > 0)) return p;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (e) {
        reject(e);
      }
    }, ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
