// How the service report and its email write a time: a leaf, so that the notification templates
// can use it without importing the report (and through it the metrics and the domain context).

/** 45 s, 12 min, 3 h 5 min, 2 d 4 h */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null) return '–';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(seconds / 86_400);
  const h = Math.round((seconds % 86_400) / 3600);
  return h ? `${d} d ${h} h` : `${d} d`;
}
