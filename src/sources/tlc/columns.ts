/**
 * The canonical Bronze schema of a TLC trip, and where each column comes from in the yellow
 * (`tpep_*`) and green (`lpep_*`) files. Data, not code: the reader and the docs both use it.
 *
 * Source names are matched case-insensitively (the TLC wrote `airport_fee` in some years and
 * `Airport_fee` in others). A column missing from an older file is NULL unless it is required:
 * the quality rules and the gold tables cannot do without the required ones.
 */

export type Service = 'yellow' | 'green';

/** Target types of Bronze (DuckDB names); values are cast, never cleaned. BIGINT for every integer:
 * the TLC wrote ids as INT32 in some years and INT64 in others, and widening never fails. */
export type CanonicalType = 'TIMESTAMP' | 'BIGINT' | 'DOUBLE' | 'VARCHAR';

export interface CanonicalColumn {
  name: string;
  type: CanonicalType;
  /** Source column per service; absent = the service never has it (always NULL). */
  from: Partial<Record<Service, string>>;
  required: boolean;
}

const both = (name: string): Partial<Record<Service, string>> => ({ yellow: name, green: name });

export const CANONICAL_COLUMNS: readonly CanonicalColumn[] = [
  { name: 'vendor_id', type: 'BIGINT', from: both('VendorID'), required: false },
  { name: 'pickup_datetime', type: 'TIMESTAMP', from: { yellow: 'tpep_pickup_datetime', green: 'lpep_pickup_datetime' }, required: true },
  { name: 'dropoff_datetime', type: 'TIMESTAMP', from: { yellow: 'tpep_dropoff_datetime', green: 'lpep_dropoff_datetime' }, required: true },
  { name: 'passenger_count', type: 'BIGINT', from: both('passenger_count'), required: true },
  { name: 'trip_distance', type: 'DOUBLE', from: both('trip_distance'), required: true },
  { name: 'ratecode_id', type: 'BIGINT', from: both('RatecodeID'), required: false },
  { name: 'store_and_fwd_flag', type: 'VARCHAR', from: both('store_and_fwd_flag'), required: false },
  { name: 'pu_location_id', type: 'BIGINT', from: both('PULocationID'), required: true },
  { name: 'do_location_id', type: 'BIGINT', from: both('DOLocationID'), required: true },
  { name: 'payment_type', type: 'BIGINT', from: both('payment_type'), required: false },
  { name: 'fare_amount', type: 'DOUBLE', from: both('fare_amount'), required: true },
  { name: 'extra', type: 'DOUBLE', from: both('extra'), required: false },
  { name: 'mta_tax', type: 'DOUBLE', from: both('mta_tax'), required: false },
  { name: 'tip_amount', type: 'DOUBLE', from: both('tip_amount'), required: true },
  { name: 'tolls_amount', type: 'DOUBLE', from: both('tolls_amount'), required: false },
  { name: 'improvement_surcharge', type: 'DOUBLE', from: both('improvement_surcharge'), required: false },
  { name: 'total_amount', type: 'DOUBLE', from: both('total_amount'), required: true },
  { name: 'congestion_surcharge', type: 'DOUBLE', from: both('congestion_surcharge'), required: false },
  { name: 'airport_fee', type: 'DOUBLE', from: { yellow: 'airport_fee' }, required: false },
  { name: 'cbd_congestion_fee', type: 'DOUBLE', from: both('cbd_congestion_fee'), required: false },
  { name: 'trip_type', type: 'BIGINT', from: { green: 'trip_type' }, required: false },
  { name: 'ehail_fee', type: 'DOUBLE', from: { green: 'ehail_fee' }, required: false },
];

/** Lineage columns the reader adds to every row (Bronze adds _source, _ingested_at, _batch_id, _position). */
export const LINEAGE_COLUMNS = {
  _source_file: 'VARCHAR: the file name as published, e.g. yellow_tripdata_2025-01.parquet',
  _batch_index: 'INTEGER: 0-based batch of the file (batch k holds rows k·batch_rows+1 …)',
  _row_number: 'BIGINT: 1-based position of the trip in the file (the header line is not counted)',
} as const;

/** Which service a file is, from its pick-up column; undefined when it has neither. */
export function detectService(columns: readonly string[]): Service | undefined {
  const lower = new Set(columns.map((c) => c.toLowerCase()));
  if (lower.has('tpep_pickup_datetime')) return 'yellow';
  if (lower.has('lpep_pickup_datetime')) return 'green';
  return undefined;
}
