import js from '@eslint/js';
import tseslint from 'typescript-eslint';


/**
 * Layers point inward (see README "Layout"): each layer may import only the layers below it.
 * dp ← storage, engine ← lake ← domain modules ← pipeline, active-users, evaluate ← cli, http, functions.
 */
const DOMAIN = ['bronze', 'silver', 'analyses', 'gold', 'release', 'activity', 'erasure', 'ledger', 'config', 'generate'];
const ORCHESTRATION = ['pipeline', 'active-users', 'evaluate'];
const TOP = ['cli', 'http', 'functions'];
const forbid = (folders, why) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [{ group: folders.flatMap((f) => [`**/${f}/**`, `**/${f}/index.js`]), message: why }] },
  ],
});
const layerZones = [
  {
    files: ['src/dp/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '../**'], message: 'src/dp is pure: it imports nothing of ours outside dp/.' }] },
      ],
    },
  },
  {
    files: ['src/storage/**/*.ts', 'src/engine/**/*.ts'],
    rules: forbid(['lake', ...DOMAIN, ...ORCHESTRATION, ...TOP], 'storage/ and engine/ sit below lake/ and every domain module.'),
  },
  {
    files: ['src/lake/**/*.ts'],
    rules: forbid([...DOMAIN, ...ORCHESTRATION, ...TOP], 'lake/ sits below every domain module.'),
  },
  {
    files: DOMAIN.map((d) => `src/${d}/**/*.ts`),
    rules: forbid([...ORCHESTRATION, ...TOP], 'Domain modules do not import pipeline/, active-users/, evaluate/ or the entry points.'),
  },
  {
    files: ORCHESTRATION.map((d) => `src/${d}/**/*.ts`),
    rules: forbid(TOP, 'Only the entry points (cli/, http/, functions/) import the orchestration layer, never the reverse.'),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'lake/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the secure RNG in src/dp (Math.random must never touch DP code).' },
      ],
    },
  },
  ...layerZones,
);
