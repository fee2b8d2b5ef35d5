/**
 * deepvis serve --model M[,M2…] [--data D] [--port P]
 * The live toolbox (Yosinski et al. 2015): builds the web app if needed, serves it with the models, a data set
 * to browse and each model's top-k index (scanned once, cached), and prints the URL.
 */
import { DeepvisError } from '../../errors.js';
import { ensureApp } from '../../serve/build_app.js';
import { userCacheDir } from '../../serve/cache.js';
import { serve } from '../../serve/server.js';
import { resolveModelJson } from '../../io/model_files.js';
import { modelFiles } from '../../io/model_manifest.js';
import { parseArgs, usage, type FlagSpecs } from '../args.js';
import { startEngine } from '../command.js';

const SPECS = {
  model: {
    type: 'string',
    help: 'model directories or model.json files, comma-separated (more can be dropped into the page)',
  },
  data: {
    type: 'string',
    help: 'data set to browse and scan: mnist, fashion-mnist, a folder of images, an IDX file',
  },
  report: {
    type: 'string',
    help: 'report sites of served models (deepvis report --out DIR), comma-separated: the unit panel shows their precomputed images',
  },
  port: { type: 'int', help: 'port (0: any free port)', default: 8080 },
  host: {
    type: 'string',
    help: 'interface to listen on (requests must name it, or localhost, in their Host header)',
    default: '127.0.0.1',
  },
  cache: {
    type: 'string',
    help: 'where scanned top-k indexes are kept, a folder of your own (default $XDG_CACHE_HOME/deepvis, else ~/.cache/deepvis)',
  },
  rebuild: { type: 'bool', help: 'rebuild the web app even if it looks current' },
} as const satisfies FlagSpecs;
export const help = usage(
  'serve',
  '[--model M,…] [--data D] [--report DIR,…] [--port 8080]',
  SPECS,
);

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, SPECS);
  const port = flags.port;
  if (!(port >= 0 && port < 65536)) throw new DeepvisError(`--port must be 0–65535; got ${port}`);
  const models = flags.model ? flags.model.split(',').filter(Boolean) : [];
  if (flags.host === '') throw new DeepvisError('--host is empty');
  // Bad paths and hostile manifests fail before the (slow) app build.
  for (const m of models) await modelFiles(await resolveModelJson(m));
  await startEngine('wasm');
  const t0 = performance.now();
  // The first build takes about a minute: say that it is still going, so the wait is not mistaken for a hang.
  let ticker: NodeJS.Timeout | undefined;
  const appDir = await ensureApp({
    rebuild: Boolean(flags.rebuild),
    log: (s) => {
      console.log(s);
      ticker = setInterval(
        () =>
          console.log(
            `  still building the web app (${((performance.now() - t0) / 1000).toFixed(0)} s)…`,
          ),
        15_000,
      );
    },
  }).finally(() => clearInterval(ticker));
  const built = (performance.now() - t0) / 1000;
  if (built > 2)
    console.log(
      `web app built in ${built.toFixed(0)} s (once; later starts reuse it until a source file changes)`,
    );
  const reports = flags.report ? flags.report.split(',').filter(Boolean) : [];
  const s = await serve({
    models,
    data: flags.data,
    reports,
    appDir,
    port,
    host: flags.host,
    cacheDir: flags.cache ?? userCacheDir(),
  });
  console.log(`deepvis is serving ${models.length} model(s) at ${s.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void s.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
