import avro from 'avsc';

/**
 * `timestamp-millis` / `local-timestamp-millis` as epoch milliseconds (a JS number), the form the
 * rest of Strata uses. avsc 5 has no built-in for them: without this a Date fails as "invalid long",
 * and a consumer would see raw longs without knowing they are times. Encoding accepts a number or a Date.
 */
export class TimestampMillisType extends avro.types.LogicalType {
  protected override _fromValue(v: unknown): number {
    return Number(v);
  }

  protected override _toValue(v: unknown): number | undefined {
    if (v instanceof Date) return v.getTime();
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  }

  protected override _resolve(writer: avro.Type): ((v: unknown) => number) | undefined {
    // A plain long written by an older schema, or the same logical type: both are epoch millis.
    if (avro.Type.isType(writer, 'long', 'logical:timestamp-millis', 'logical:local-timestamp-millis')) return (v) => Number(v);
    return undefined;
  }
}

/** The logical types Strata registers whenever it parses an .avsc file. */
export const LOGICAL_TYPES = {
  'timestamp-millis': TimestampMillisType,
  'local-timestamp-millis': TimestampMillisType,
};
