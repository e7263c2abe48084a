// Order statistics for repetitions and windows. Medians and quartiles, never means: one slow spell on a
// shared machine moves a mean, not a median.

const finite = (xs) => xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);

export const round = (n, d = 3) => (n == null || !Number.isFinite(n) ? null : Math.round(n * 10 ** d) / 10 ** d);

/** The q-quantile (0..1) with linear interpolation between order statistics; null when there is nothing. */
export function quantile(xs, q) {
  const v = finite(xs);
  if (v.length === 0) return null;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

export const median = (xs) => quantile(xs, 0.5);

/**
 * A distribution-free 95 % confidence interval for the median: the k-th smallest and k-th largest values,
 * with k the largest rank such that P(Binomial(n, 1/2) < k) <= 2.5 %. It assumes nothing about the shape of
 * the noise, only that the values are independent. Null below 6 values, where no such k exists.
 */
export function medianCi95(xs) {
  const v = finite(xs);
  const n = v.length;
  let k = 0;
  let cdf = 0; // P(X <= k - 1), X ~ Binomial(n, 1/2)
  let pmf = 0.5 ** n; // P(X = k)
  while (cdf + pmf <= 0.025) {
    cdf += pmf;
    pmf = (pmf * (n - k)) / (k + 1);
    k++;
  }
  return k === 0 ? null : [v[k - 1], v[n - k]];
}

/** Median (with its 95 % interval), quartiles and extremes, rounded to `d` decimals, and the count. */
export function summary(xs, d = 3) {
  const v = finite(xs);
  const ci = medianCi95(v);
  return {
    median: round(quantile(v, 0.5), d),
    ci95: ci && [round(ci[0], d), round(ci[1], d)],
    q1: round(quantile(v, 0.25), d),
    q3: round(quantile(v, 0.75), d),
    min: round(v[0] ?? null, d),
    max: round(v.at(-1) ?? null, d),
    n: v.length,
  };
}

/** (max - min) / median of the reps, in percent: how noisy a cell was. */
export function spread(xs) {
  const v = finite(xs);
  const m = median(v);
  return v.length > 1 && m ? round(((v.at(-1) - v[0]) / m) * 100, 0) : null;
}
