// Summarise a V8 .cpuprofile (from BENCH_CPU_PROF=1): self time by package and by function, and
// inclusive time of the functions matching an optional pattern.
//   npx tsx bench/profile.ts bench/.results/prof/CPU.*.cpuprofile [--top 40] [--grep name]
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

process.stdout.on('error', () => process.exit(0)); // piped into head
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const top = Number(opt('--top') ?? 35);
const grep = opt('--grep');
// --callers NAME: self time of frames named NAME, split by the first ancestor frame that names a
// package or src file (who caused it).
const callers = opt('--callers');
const files = args;
if (files.length === 0) {
  process.stderr.write('usage: tsx bench/profile.ts FILE.cpuprofile [--top N] [--grep NAME]\n');
  process.exit(2);
}

function fileOf(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/(src|bench)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^node:internal\//, 'node:');
}

function pkgOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const m = /\/(src|bench)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url;
}

for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)!.callFrame.functionName))
    .map(([id, t]) => [byId.get(id)!.callFrame.functionName, t] as const);

  const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    bump(byPkg, pkgOf(f.url), t);
    bump(byFn, `${f.functionName || '(anonymous)'}  ${fileOf(f.url)}:${f.lineNumber + 1}`, t);
    // inclusive time: every distinct frame on the stack, once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      const key = `${cf.functionName || '(anonymous)'}  ${fileOf(cf.url)}:${cf.lineNumber + 1}`;
      if (!seen.has(key)) {
        seen.add(key);
        bump(inclusive, key, t);
      }
    }
  }
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
  const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5);
  const busy = total - idle.filter(([n]) => n === '(idle)').reduce((a, [, t]) => a + t, 0);
  process.stdout.write(`\n${file}\n  total ${ms(total)} ms, busy ${ms(busy)} ms; ${idle.map(([n, t]) => `${n} ${ms(t)} ms`).join(', ')}\n`);
  process.stdout.write('\n  self time by package (% of total)\n');
  for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) process.stdout.write(`  ${pct(v)} %  ${ms(v)} ms  ${k}\n`);
  process.stdout.write('\n  self time by function\n');
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(v)} %  ${ms(v)} ms  ${k}\n`);
  if (callers) {
    const by = new Map<string, number>();
    for (const [id, t] of self) {
      if (byId.get(id)!.callFrame.functionName !== callers) continue;
      const chain: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && chain.length < 4; cur = parent.get(cur)) {
        const cf = byId.get(cur)!.callFrame;
        if (cf.url && !cf.url.startsWith('node:')) chain.push(`${cf.functionName || '(anonymous)'} ${fileOf(cf.url)}`);
      }
      bump(by, chain.join(' < ') || '(node internals only)', t);
    }
    process.stdout.write(`\n  "${callers}" self time by caller chain\n`);
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(v)} %  ${ms(v)} ms  ${k}\n`);
  }
  const incl = [...inclusive].filter(([k]) => (grep ? k.includes(grep) : true)).sort((a, b) => b[1] - a[1]).slice(0, top);
  process.stdout.write(`\n  inclusive time${grep ? ` (matching "${grep}")` : ''}\n`);
  for (const [k, v] of incl) process.stdout.write(`  ${pct(v)} %  ${ms(v)} ms  ${k}\n`);
}
