// Lint: typescript-eslint's recommended rules, plus the import boundaries that keep roles independent.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The instruments (load test, compare, bench, WAN proxy) measure the product; the product never loads them.
const noTools = { group: ['**/tools/**'], message: 'server/ must not import tools/: the roles never load the instruments' };

const roleBoundary = (role, others) => ({
  files: [`server/${role}/**/*.ts`],
  rules: {
    // Roles talk only over HTTP (and edges through Redis): importing another role's code would couple their deploys.
    'no-restricted-imports': ['error', { patterns: [...others.map((o) => ({ group: [`**/${o}/**`], message: `${role}/ must not import ${o}/: roles talk over HTTP` })), noTools] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'media/**', 'reports/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', performance: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', document: 'readonly', window: 'readonly', navigator: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly' } },
    rules: {
      // `any` switches the type checker off exactly where input is least trusted; take `unknown` and narrow.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only config.ts (and the logger, before config exists) reads the environment: one place to see every setting.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through core/config.ts' }],
    },
  },
  // The bundle's CommonJS stubs (scripts/build-server.mjs) stand in for CommonJS packages.
  { files: ['scripts/**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  { files: ['server/core/config.ts', 'server/cli/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts', 'bin/**/*.js', 'scripts/**/*.mjs', 'eslint.config.js'], rules: { 'no-restricted-properties': 'off' } },
  {
    files: ['server/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/origin/**', '**/edge/**', '**/router/**', '**/cli/**'], message: 'core/ is shared by every role and imports none of them' }, noTools] }],
    },
  },
  { files: ['server/cli/**/*.ts', 'server/main.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [noTools] }] } },
  roleBoundary('origin', ['edge', 'router', 'cli']),
  roleBoundary('edge', ['origin', 'router', 'cli']),
  roleBoundary('router', ['origin', 'edge', 'cli']),
);
