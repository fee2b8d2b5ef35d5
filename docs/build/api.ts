/**
 * The API reference: TypeDoc over the library's entry points (src/index.ts and src/node.ts, their
 * TSDoc comments; options in typedoc.json), in a child process so it runs beside the pictures,
 * then a link back to the docs on every page.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { htmlFiles } from './links.js';

const HOME = '%DOCS_HOME%';

/** Starts TypeDoc writing into `out`; the promise settles when it has finished. */
export function startApi(root: string, out: string): Promise<void> {
  const bin = path.join(
    path.dirname(createRequire(import.meta.url).resolve('typedoc/package.json')),
    'bin/typedoc',
  );
  const args = [
    bin,
    '--options',
    path.join(root, 'docs/build/typedoc.json'),
    '--out',
    out,
    '--customFooterHtml',
    `<p><a href="${HOME}">deepvis documentation</a></p>`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`typedoc exited with ${code}`));
      else resolve(linkHome(out));
    });
  });
}

/** Each API page's footer links to the docs' home page, relative to the page's depth. */
function linkHome(out: string): void {
  for (const page of htmlFiles(out)) {
    const file = path.join(out, page);
    const home = `${'../'.repeat(page.split('/').length)}index.html`;
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(HOME, home));
  }
}
