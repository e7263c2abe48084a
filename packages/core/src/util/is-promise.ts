/** Whether a value from user code is a promise to await, rather than the answer itself (kept synchronous when it is). */
export function isPromise<T>(value: T | PromiseLike<T>): value is PromiseLike<T> & Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
