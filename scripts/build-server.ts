// Bundles the service's entry points, src/main.ts and src/cli.ts, with esbuild into
// dist/node/main.mjs and dist/node/cli.mjs (ES modules, node_modules left external, source maps
// beside them). `npm start` runs dist/node/main.mjs (built by prestart, scripts/build.ts): one
// file Node loads natively starts in about half the time and CPU of `tsx src/main.ts`, which
// transforms each of ~150 source files at every start. The test suite starts the same bundles
// (test/global-setup.ts). The bundles sit two folders below the root like src/*/*.ts, so the
// `import.meta.url`-relative paths in the source (drizzle/, dist/dashboard/) resolve unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_BUNDLE_DIR = path.join(root, 'dist/node');

export function buildServerBundles(): Promise<string[]> {
  return bundle([path.join(root, 'src/main.ts'), path.join(root, 'src/cli.ts')], SERVER_BUNDLE_DIR);
}

/**
 * Bundles `entries` (absolute paths) into `outdir` as buildServerBundles does; for the benchmarks'
 * server processes (dist/bench/), which then run the code as `npm start` runs it. `outdir` must sit
 * two folders below the root, as src/db/client.ts does, for the source's relative paths.
 */
export async function bundle(entries: string[], outdir: string): Promise<string[]> {
  // esbuild is a devDependency, and tsx's own dependency (so present with --omit=dev too)
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  // each file whole or not at all: a running service or test may be starting these bundles
  fs.mkdirSync(outdir, { recursive: true });
  for (const out of result.outputFiles) {
    const partial = `${out.path}.${process.pid}`;
    fs.writeFileSync(partial, out.contents);
    fs.renameSync(partial, out.path);
  }
  return result.outputFiles.map((o) => o.path).filter((p) => p.endsWith('.mjs'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const files = await buildServerBundles();
  console.log(`server: wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}
