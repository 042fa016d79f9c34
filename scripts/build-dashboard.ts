// Bundles the dashboard's browser code (src/dashboard/app.ts with @urql/core and graphql-ws) into
// dist/dashboard/app.js, which the server serves at /dashboard/app.js: no CDN, no network.
// Runs before `npm start` and `npm test` (prestart / pretest); `npm run build:dashboard` alone.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_BUNDLE = path.join(root, 'dist/dashboard/app.js');

export async function buildDashboard(outfile = DASHBOARD_BUNDLE): Promise<{ outfile: string; bytes: number }> {
  // esbuild is a devDependency, and tsx's own dependency (so present with --omit=dev too)
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'src/dashboard/app.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'edge109', 'firefox115', 'safari15.4'],
    // urql keeps its development warnings behind process.env.NODE_ENV
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { outfile, bytes } = await buildDashboard();
    console.log(`dashboard: wrote ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(1)} KiB)`);
  } catch (err) {
    // without esbuild the service still starts; /dashboard then answers 503 and says why
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.warn(`dashboard: not built (${(err as Error).message}); /dashboard will answer 503`);
  }
}
