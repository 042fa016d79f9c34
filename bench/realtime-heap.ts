// Compare two V8 heap snapshots (from BENCH_HEAP=1): what N more idle subscribers cost, by
// constructor / node type: count and self size per subscriber, largest first.
//   npx tsx bench/realtime-heap.ts bench/.results/heap-realtime/n1000-before.heapsnapshot \
//     bench/.results/heap-realtime/n1000-idle.heapsnapshot 1000 [--top 40]
import fs from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 40;
const [beforeFile, afterFile, nRaw] = args;
if (!beforeFile || !afterFile) {
  process.stderr.write('usage: realtime-heap.ts BEFORE.heapsnapshot AFTER.heapsnapshot [N] [--top 40]\n');
  process.exit(2);
}
const n = Number(nRaw || 1);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** self size and count by "type:name" (objects by constructor; strings, closures, arrays… by type). */
function aggregate(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    let name = snap.strings[snap.nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '';
    else if (type === 'closure') name = name || '(anonymous)';
    else if (type === 'code' || type === 'hidden') name = name.slice(0, 40);
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count += 1;
    e.size += snap.nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

const a = aggregate(beforeFile);
const b = aggregate(afterFile);
const rows: { key: string; count: number; size: number }[] = [];
for (const [key, v] of b) {
  const w = a.get(key) ?? { count: 0, size: 0 };
  rows.push({ key, count: v.count - w.count, size: v.size - w.size });
}
rows.sort((x, y) => y.size - x.size);
const total = rows.reduce((s, r) => s + r.size, 0);
console.log(`self size difference: ${(total / 1024 / 1024).toFixed(1)} MB, ${(total / n / 1024).toFixed(2)} KB per subscriber (N=${n})`);
console.log('   KB/sub   objs/sub  type:name');
for (const r of rows.slice(0, top)) {
  console.log(`${(r.size / n / 1024).toFixed(3).padStart(9)} ${(r.count / n).toFixed(2).padStart(10)}  ${r.key}`);
}
