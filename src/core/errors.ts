/** Typed errors carrying context: every failure says what and where. */
export class StrataError extends Error {
  readonly code: string;
  readonly context: Record<string, unknown>;
  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** A config or topology file failed validation; `problems` carry file:line:col. */
export class ConfigError extends StrataError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('CONFIG_INVALID', problems.map(formatProblem).join('\n'), { count: problems.length });
    this.problems = problems;
  }
}

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  reason: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.reason}`;
}

/** An HTTP API answered with an error or an unusable body. */
export class HttpSourceError extends StrataError {}

/** Input data that cannot be used (bad file, bad record). */
export class DataError extends StrataError {}

/** A SQL operator or warehouse write failed. */
export class EngineError extends StrataError {}

/** An Avro schema file that cannot be used, or a value that does not fit its schema (encoding). */
export class SchemaError extends StrataError {}

/** A Kafka/transport operation failed (connect, produce, commit). */
export class TransportError extends StrataError {}
