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
