import { buildPage, pageInMemory, pageRequest } from '../../src/domain/pagination';
const rows = Array.from({ length: 51 }, (_, i) => ({ id: crypto.randomUUID(), updatedAt: new Date(Date.now() - i * 1000) }));
const alerts = Array.from({ length: 3 }, (_, i) => ({ id: crypto.randomUUID(), createdAt: new Date(Date.now() - i * 1000) }));
function perRequest() {
  const req = pageRequest({ first: 50 }, ['date']);
  const page = buildPage(rows, req, (r) => [r.updatedAt], () => 0);
  let n = page.edges.length;
  for (let i = 0; i < 50; i++) n += pageInMemory(alerts, { first: 3 }, (a) => [a.createdAt], ['date']).edges.length;
  return n;
}
for (const lazy of ['0', 'class2', 'none', '0', 'class2', 'none']) {
  process.env.X_LAZY_CURSOR = lazy;
  for (let i = 0; i < 2000; i++) perRequest();
  const t0 = process.cpuUsage();
  const N = 20000;
  for (let i = 0; i < N; i++) perRequest();
  const c = process.cpuUsage(t0);
  console.log(`X_LAZY_CURSOR=${lazy}: ${((c.user + c.system) / N).toFixed(1)} µs CPU per request (1 page of 50 + 50 pages of 3)`);
}
