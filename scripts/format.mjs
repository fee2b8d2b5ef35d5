/**
 * `npm run format`: Prettier over the whole tree (.prettierrc.json: 100 columns; .prettierignore
 * and .gitignore name what is generated or not ours), then ESLint's fixes. Until the tree had been
 * formatted once, the layout rules of eslint.config.js held only the files in its LAYOUT list; the
 * first run also sets that list to every file, so from then on `npm run lint` (and `npm test`)
 * holds the whole tree to the layout. Later runs only format.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const EVERY_FILE = "const LAYOUT = ['**/*.{ts,js,mjs}'];";

const config = path.join(root, 'eslint.config.js');
const text = readFileSync(config, 'utf8');
const block = /\/\/ layout-list:begin\n[^]*?\/\/ layout-list:end\n/;
if (block.test(text)) {
  writeFileSync(config, text.replace(block, `${EVERY_FILE}\n`));
  console.log('eslint.config.js: the layout rules now hold every file');
} else if (!text.includes(EVERY_FILE)) {
  console.error(
    'eslint.config.js: no LAYOUT list found (neither the transitional one nor every file)',
  );
  process.exit(1);
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(bin('prettier'), ['--write', '--log-level', 'warn', '**/*.{ts,js,mjs}']);
run(bin('eslint'), ['--fix', '.']);
