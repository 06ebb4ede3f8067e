/** Pure helpers over ISO dates (YYYY-MM-DD), the warehouse's partition values. */

const DAY = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Every date in `dates` shifted by each offset in [from, to], sorted and unique. */
export function expandDates(dates: Iterable<string>, [from, to]: readonly [number, number]): string[] {
  const out = new Set<string>();
  for (const d of dates) for (let k = from; k <= to; k++) out.add(addDays(d, k));
  return [...out].sort();
}

/** Every date from start to end inclusive. */
export function datesBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
  return out;
}
