/**
 * @wsgate/core's layers (docs/architecture.md, "Layout"): each folder imports only the folders before it, and
 * nothing imports the entry points at the top (index.ts, adapter.ts, gate.ts). `pnpm lint` runs this.
 */
const layers = [
  ['util', 'http'],
  ['protocol'],
  ['engine', 'policy'],
  ['decision'],
  ['transport'],
  ['lifecycle'],
  ['serve'],
];
const src = '^packages/core/src/';

const forbidden = [
  {
    name: 'no-cycles',
    comment: 'An import cycle, even a type-only one, means two modules are one concept or the layering is wrong.',
    severity: 'error',
    from: { path: src },
    to: { circular: true },
  },
  {
    name: 'no-entry-points',
    comment: 'index.ts, adapter.ts and gate.ts re-export the layers; no layer imports them.',
    severity: 'error',
    from: { path: `${src}[^/]+/` },
    to: { path: `${src}[^/]+\\.ts$` },
  },
];
layers.forEach((rank, index) => {
  const below = layers.slice(0, index).flat();
  for (const folder of rank) {
    const allowed = [...below, folder].join('|');
    forbidden.push({
      name: `${folder}-imports-only-layers-below`,
      comment: `${folder}/ may import only ${below.length > 0 ? `${below.join(', ')} and ` : ''}itself.`,
      severity: 'error',
      from: { path: `${src}${folder}/` },
      to: { path: `${src}[^/]+/`, pathNot: `${src}(${allowed})/` },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
