/**
 * Layers of src/, lowest first: a folder may import only folders listed before it (and itself).
 * Folders on the same line are siblings and may not import each other.
 * `npm run lint:deps` (run by `npm test`) fails on an upward or sideways import and on any cycle.
 */
const LAYERS = [
  ['core'],
  ['arrow'],
  ['avro'],
  ['observability'],
  ['duckdb'],
  ['warehouse'],
  ['transport'],
  ['sources', 'operators', 'sinks'],
  ['spark'],
  ['components'],
  ['config'],
  ['producers'],
  ['runtime'],
  ['backfill'],
  ['cli'],
];

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'An import cycle between modules.',
    from: { path: '^src/' },
    to: { circular: true },
  },
  {
    name: 'no-unknown-folder',
    severity: 'error',
    comment: 'Every folder under src/ has a place in the layers (.dependency-cruiser.cjs).',
    from: { path: '^src/', pathNot: `^src/(${LAYERS.flat().join('|')})/` },
    to: {},
  },
  {
    name: 'src-not-dev-or-test',
    severity: 'error',
    comment: 'The product does not import test fakes, benchmarks or dev tools.',
    from: { path: '^src/' },
    to: { path: '^(dev|test|bench|scripts)/' },
  },
];
LAYERS.forEach((level, i) => {
  const above = LAYERS.slice(i + 1).flat();
  for (const folder of level) {
    const siblings = level.filter((f) => f !== folder);
    const banned = [...above, ...siblings];
    if (!banned.length) continue;
    forbidden.push({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `src/${folder} may import only folders below it: ${LAYERS.slice(0, i).flat().join(', ') || '(none)'}.`,
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(${banned.join('|')})/` },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: a layer is about what a module knows, not only what it runs.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
