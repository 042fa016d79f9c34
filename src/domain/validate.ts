// Small input checks shared by the commands; each failure names the input field.
import { invalid } from './errors';

export const LIMITS = {
  title: 500,
  description: 30_000,
  externalId: 200,
  name: 300,
  comment: 30_000,
  tag: 100,
  tags: 50,
  alertsPerIngest: 200,
  evidencePerAlert: 200,
  shortText: 2_000,
};

export function text(value: string, field: string[], max: number, opts: { allowEmpty?: boolean } = {}): string {
  const v = value.trim();
  if (!opts.allowEmpty && v.length === 0) throw invalid(`${field.join('.')} must not be empty`, field);
  // characters, not UTF-16 units: 30,000 emoji are 30,000 characters
  if (v.length > max && Array.from(v).length > max) {
    throw invalid(`${field.join('.')} is at most ${max} characters (got ${Array.from(v).length})`, field);
  }
  return v;
}

export function optionalText(value: string | null | undefined, field: string[], max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = text(value, field, max, { allowEmpty: true });
  return v.length ? v : null;
}

export function tags(values: string[], field: string[]): string[] {
  if (values.length > LIMITS.tags) throw invalid(`at most ${LIMITS.tags} tags`, field);
  const out: string[] = [];
  values.forEach((t, i) => {
    const v = text(t, [...field, String(i)], LIMITS.tag);
    if (!out.includes(v)) out.push(v);
  });
  return out;
}

export function pastOrPresent(d: Date | null | undefined, field: string[]): Date | null {
  if (!d) return null;
  if (d.getTime() > Date.now() + 5 * 60_000) throw invalid(`${field.join('.')} is in the future`, field);
  return d;
}
