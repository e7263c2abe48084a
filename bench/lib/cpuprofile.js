// Reading a V8 .cpuprofile without DevTools: where the sampled time went, by function, file and package.
//
// A profile is a call tree (nodes with a callFrame and children) plus a sample list: samples[i] is the node
// that was on top of the stack, timeDeltas[i] the time since the previous sample. Sample i stands for the
// time until the next sample, as DevTools counts it.

import path from 'node:path';

/** A label for where code lives: a node_modules package, a workspace package, Node itself, or V8. */
export function packageOf(url, functionName) {
  if (!url) return /^\(.*\)$/.test(functionName) ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = file.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ws = /\/packages\/([^/]+)\//.exec(file);
  if (ws) return `@wsgate/${ws[1]}`;
  if (/\/bench\//.test(file)) return 'bench';
  return path.basename(file);
}

/** A short file name: node:..., pkg/rel/path for packages, the basename otherwise. */
export function fileOf(url) {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) return file.slice(nm + 14);
  const ws = /\/packages\/([^/]+)\/(.*)$/.exec(file);
  if (ws) return `@wsgate/${ws[1]}/${ws[2]}`;
  const bench = /\/bench\/(.*)$/.exec(file);
  return bench ? `bench/${bench[1]}` : path.basename(file);
}

function functionKey({ functionName, url, lineNumber }) {
  const name = functionName || '(anonymous)';
  return url ? `${name}  ${fileOf(url)}:${lineNumber + 1}` : name;
}

const add = (map, key, v) => map.set(key, (map.get(key) || 0) + v);

/**
 * Self and inclusive time (µs) per function, file and package, over the non-idle samples. Inclusive time counts each key once per
 * sample however deep it recurs, so it never exceeds the total.
 */
export function analyze(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const deltas = profile.timeDeltas;
  const self = { fn: new Map(), file: new Map(), pkg: new Map() };
  const incl = { fn: new Map(), pkg: new Map() };
  let total = 0;
  let idle = 0;
  const n = profile.samples.length;
  const lastDelta = n > 1 ? (profile.endTime - profile.startTime) / n : 0;
  for (let i = 0; i < n; i++) {
    const dt = i + 1 < n ? deltas[i + 1] : lastDelta;
    if (!(dt > 0)) continue;
    const top = byId.get(profile.samples[i]);
    const cf = top.callFrame;
    // Waiting in the event loop is not CPU: kept apart so per-handshake figures are CPU only.
    if (cf.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    add(self.fn, functionKey(cf), dt);
    add(self.file, fileOf(cf.url) || packageOf(cf.url, cf.functionName), dt);
    add(self.pkg, packageOf(cf.url, cf.functionName), dt);
    const seenFn = new Set();
    const seenPkg = new Set();
    for (let id = top.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame;
      if (f.functionName === '(root)') continue;
      seenFn.add(functionKey(f));
      seenPkg.add(packageOf(f.url, f.functionName));
    }
    for (const k of seenFn) add(incl.fn, k, dt);
    for (const k of seenPkg) add(incl.pkg, k, dt);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalUs: total,
    idleUs: idle,
    samples: n,
    meta: profile.benchMeta || null,
    self: { fn: sorted(self.fn), file: sorted(self.file), pkg: sorted(self.pkg) },
    inclusive: { fn: sorted(incl.fn), pkg: sorted(incl.pkg) },
  };
}

/**
 * Where a function is called from: for every sample with `name` on the stack, the chain of the `depth`
 * frames above its innermost call, with the time those samples stood for (µs), heaviest chains first.
 */
export function callers(profile, name, depth = 6) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const chains = new Map();
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    const dt = i + 1 < n ? profile.timeDeltas[i + 1] : 0;
    let id = profile.samples[i];
    while (id !== undefined && byId.get(id).callFrame.functionName !== name) id = parent.get(id);
    if (id === undefined || !(dt > 0)) continue;
    const chain = [];
    for (let up = id; up !== undefined && chain.length <= depth; up = parent.get(up)) {
      const f = byId.get(up).callFrame;
      if (f.functionName === '(root)') break;
      chain.push(functionKey(f));
    }
    add(chains, chain.join('\n  <- '), dt);
  }
  return [...chains].sort((a, b) => b[1] - a[1]);
}
