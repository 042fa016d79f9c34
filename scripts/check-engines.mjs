// Fails when a package the service runs (a runtime dependency, however deep) declares an
// `engines.node` range that excludes the Node.js running this script. `.ci/run` calls it after
// `npm ci`, so a lockfile that pulls in a Node 22-only package fails CI on Node 20 instead of
// working by luck. Development tools (vitest, codegen, drizzle-kit) are reported, not failed.
// Plain JavaScript: it runs before anything is built, with only npm's own semver at hand.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const semver = require('semver');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const list = (omitDev) => {
  const args = ['ls', '--all', '--parseable', ...(omitDev ? ['--omit=dev'] : [])];
  // npm ls exits non-zero on an extraneous or missing package; its output is still the tree
  try {
    return execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    return err.stdout ?? '';
  }
};

const runtime = new Set(list(true).trim().split('\n').filter(Boolean));
const all = new Set(list(false).trim().split('\n').filter(Boolean));
const problems = { runtime: [], dev: [] };
for (const dir of all) {
  if (dir === root) continue;
  let pkg;
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  const range = pkg.engines?.node;
  if (!range || semver.satisfies(process.version, range, { includePrerelease: true })) continue;
  problems[runtime.has(dir) ? 'runtime' : 'dev'].push(`${pkg.name}@${pkg.version} wants node ${range} (${path.relative(root, dir)})`);
}

const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines?.node;
if (own && !semver.satisfies(process.version, own)) {
  console.error(`check-engines: this project supports node ${own}; this is ${process.version}`);
  process.exit(1);
}
if (problems.dev.length) console.log(`check-engines: ${problems.dev.length} development-only package(s) declare another Node (not used by the service):\n  ${problems.dev.join('\n  ')}`);
if (problems.runtime.length) {
  console.error(`check-engines: ${problems.runtime.length} runtime package(s) do not accept ${process.version}:\n  ${problems.runtime.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-engines: every runtime dependency (${runtime.size - 1}) accepts node ${process.version}`);
