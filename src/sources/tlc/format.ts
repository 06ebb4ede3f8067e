import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DataError } from '../../core/errors.ts';

export type TlcFormat = 'parquet' | 'csv';

const MAGIC = 'PAR1';

/**
 * A trip file's format, from its bytes first and its extension second: Parquet starts and ends
 * with `PAR1`; a CSV is a `.csv` file of text. Throws DataError naming the file for anything else:
 * an empty file, a Parquet file cut short (no footer magic), a `.parquet` that is really something
 * else (say, the XML error body of a failed download), a binary `.csv`.
 */
export async function detectFormat(path: string): Promise<TlcFormat> {
  const name = basename(path);
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new DataError('TLC_FILE_MISSING', `${path}: cannot open trip file (${err.code ?? err.message})`, { file: path });
  });
  try {
    const { size } = await fh.stat();
    if (size === 0) throw new DataError('TLC_FILE_EMPTY', `${path}: trip file is empty (0 bytes)`, { file: path });
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, 4));
    await fh.read(tail, 0, tail.length, size - tail.length);
    if (head.subarray(0, 4).toString('latin1') === MAGIC) {
      if (size < 12 || tail.toString('latin1') !== MAGIC) {
        throw new DataError('TLC_FILE_TRUNCATED', `${path}: truncated Parquet file: it starts with PAR1 but has no PAR1 footer (${size} bytes; cut short?)`, { file: path, size });
      }
      return 'parquet';
    }
    const ext = extname(name).toLowerCase();
    if (ext === '.csv') {
      if (head.includes(0)) throw new DataError('TLC_FILE_NOT_CSV', `${path}: not a CSV file: it holds binary data (NUL bytes)`, { file: path });
      return 'csv';
    }
    const what = ext === '.parquet' ? 'not a Parquet file (no PAR1 magic bytes)' : 'neither Parquet (no PAR1 magic bytes) nor CSV (.csv)';
    throw new DataError('TLC_FILE_FORMAT', `${path}: ${what}; it starts with ${JSON.stringify(preview(head))}`, { file: path });
  } finally {
    await fh.close();
  }
}

/** The first bytes as printable text, for messages. */
function preview(buf: Buffer): string {
  return buf.subarray(0, 40).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
}
