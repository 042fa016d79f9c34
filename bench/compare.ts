// Paired comparison of the targets of one or more bench/.results/queue-*.json files: for every
// round, each target's server CPU per request, database CPU per request and req/s relative to a
// reference target of the same round (default "variant:copy" when present, else "graphql"), then
// the median over rounds (and files). Pairing within a round cancels most of the drift of a
// shared machine.
//   npx tsx bench/compare.ts bench/.results/queue-*.json [--ref graphql]
import fs from 'node:fs';

interface Run {
  target: string;
  round: number;
  reqPerSec: number;
  cpuMsPerRequest: { server: number; db: number };
  backgroundCores?: number;
}

const args = process.argv.slice(2);
const refAt = args.indexOf('--ref');
const refArg = refAt >= 0 ? args.splice(refAt, 2)[1] : undefined;
if (args.length === 0) {
  process.stderr.write('usage: tsx bench/compare.ts RESULTS.json... [--ref TARGET]\n');
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const ratios = new Map<string, { srv: number[]; db: number[]; rps: number[]; srvAbs: number[]; dbAbs: number[] }>();
let ref = refArg;
for (const file of args) {
  const runs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { runs: Run[] }).runs;
  const targets = [...new Set(runs.map((r) => r.target))];
  const reference = ref ?? (targets.includes('variant:copy') ? 'variant:copy' : 'graphql');
  ref = reference;
  for (const round of new Set(runs.map((r) => r.round))) {
    const inRound = runs.filter((r) => r.round === round);
    const base = inRound.find((r) => r.target === reference);
    if (!base) continue;
    for (const r of inRound) {
      let e = ratios.get(r.target);
      if (!e) ratios.set(r.target, (e = { srv: [], db: [], rps: [], srvAbs: [], dbAbs: [] }));
      e.srv.push(r.cpuMsPerRequest.server / base.cpuMsPerRequest.server);
      e.db.push(base.cpuMsPerRequest.db > 0 ? r.cpuMsPerRequest.db / base.cpuMsPerRequest.db : NaN);
      e.rps.push(r.reqPerSec / base.reqPerSec);
      e.srvAbs.push(r.cpuMsPerRequest.server);
      e.dbAbs.push(r.cpuMsPerRequest.db);
    }
  }
}

const pct = (x: number) => (Number.isNaN(x) ? '' : `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(0)} %`);
const rows = [['target', 'pairs', 'srv CPU ms/req', 'vs ref', 'db CPU ms/req', 'vs ref', 'req/s vs ref']];
for (const [target, e] of [...ratios].sort((a, b) => median(a[1].srv) - median(b[1].srv))) {
  rows.push([
    target,
    String(e.srv.length),
    median(e.srvAbs).toFixed(2),
    pct(median(e.srv)),
    median(e.dbAbs).toFixed(2),
    pct(median(e.db.filter((x) => !Number.isNaN(x)))),
    pct(median(e.rps)),
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
process.stdout.write(`reference: ${ref}\n`);
process.stdout.write(rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n') + '\n');
