// Bundles the dashboard's browser code (src/dashboard/app.ts with @urql/core and graphql-ws) into
// dist/dashboard/app.js, which the server serves at /dashboard/app.js: no CDN, no network.
// Runs before `npm start` and `npm test` (prestart / pretest); `npm run build:dashboard` alone.
//
// The page sends persisted documents only: each document of src/dashboard/documents.ts goes into
// the bundle as its id (`sha256:<hex>` of its exact text, the key in schema/persisted-documents.json),
// computed here and handed to app.ts as DASHBOARD_DOCUMENT_IDS (an esbuild `define`). The texts
// stay out of the bundle, and the page works with PERSISTED_DOCUMENTS_ONLY=1.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as documents from '../src/dashboard/documents';
import { documentId, loadManifest } from '../src/persisted/manifest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_BUNDLE = path.join(root, 'dist/dashboard/app.js');

/** An exported document of src/dashboard/documents.ts, by its constant's name. */
export type DashboardDocumentName = keyof typeof documents;

/** Each dashboard document's id: the same function as the manifest's (src/persisted/manifest.ts). */
export function dashboardDocumentIds(): Record<DashboardDocumentName, string> {
  const ids = {} as Record<DashboardDocumentName, string>;
  for (const [name, text] of Object.entries(documents)) if (typeof text === 'string') ids[name as DashboardDocumentName] = documentId(text);
  return ids;
}

export async function buildDashboard(outfile = DASHBOARD_BUNDLE): Promise<{ outfile: string; bytes: number; documentIds: Record<DashboardDocumentName, string> }> {
  // esbuild is a devDependency, and tsx's own dependency (so present with --omit=dev too)
  const { build } = await import('esbuild');
  const documentIds = dashboardDocumentIds();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'src/dashboard/app.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'edge109', 'firefox115', 'safari15.4'],
    define: {
      // urql keeps its development warnings behind process.env.NODE_ENV
      'process.env.NODE_ENV': '"production"',
      // declared in app.ts: { VIEWER_QUERY: "sha256:…", … }
      DASHBOARD_DOCUMENT_IDS: JSON.stringify(documentIds),
    },
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes, documentIds };
}

/** Build the bundle and say so; warn when the manifest lacks one of the page's documents. */
export async function buildDashboardAndCheck(): Promise<void> {
  try {
    const { outfile, bytes, documentIds } = await buildDashboard();
    console.log(`dashboard: wrote ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(1)} KiB)`);
    // the server finds the page's documents by id in the manifest only: a stale one breaks the page
    // (`npm run schema:check` and test/persisted-documents.test.ts fail on it too)
    const manifest = loadManifest();
    const stale = Object.entries(documentIds).filter(([, id]) => !(id in manifest)).map(([name]) => name);
    if (stale.length) {
      console.warn(`dashboard: ${stale.join(', ')} not in schema/persisted-documents.json (the server would answer PERSISTED_QUERY_NOT_FOUND): run \`npm run persisted:print\``);
    }
  } catch (err) {
    // without esbuild the service still starts; /dashboard then answers 503 and says why
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.warn(`dashboard: not built (${(err as Error).message}); /dashboard will answer 503`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await buildDashboardAndCheck();
}
