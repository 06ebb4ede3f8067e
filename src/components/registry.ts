/**
 * The one list of component types. A new source, operator or sink type is a folder with its
 * definition (`index.ts`) and one line here; the schema, validation, `describe`, live reload, the
 * build of a running graph and the reference docs all follow from the definitions.
 */
import { bronzeOperator } from '../operators/bronze/index.ts';
import { sqlOperator } from '../operators/sql/index.ts';
import { logSink } from '../sinks/log/index.ts';
import { openMeteoSource } from '../sources/open-meteo/index.ts';
import { tlcSource } from '../sources/tlc/index.ts';
import { topicSource } from '../sources/topic/index.ts';

export const SOURCES = [openMeteoSource, topicSource, tlcSource] as const;
export const OPERATORS = [bronzeOperator, sqlOperator] as const;
export const SINKS = [logSink] as const;
