import { open, stat } from 'node:fs/promises';
import type { RunRecord } from '../core/runs.ts';

/**
 * Follows the run history file (`_state/runs.jsonl`) as other processes append to it: each call
 * to poll() reads only the bytes added since the last one and hands every complete line's record
 * to `onRecord`. A line still being written is kept until it is complete; a torn line (a crash
 * mid-append) is skipped; a file that shrank (replaced) is read again from the start.
 */
export class RunHistoryTail {
  private offset = 0;
  private rest: Buffer = Buffer.alloc(0);
  private polling?: Promise<void>;

  constructor(
    readonly file: string,
    private readonly onRecord: (r: RunRecord) => void,
  ) {}

  /** Reads what was appended since the last call; concurrent calls share one read. */
  poll(): Promise<void> {
    this.polling ??= this.read().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async read(): Promise<void> {
    const s = await stat(this.file).catch(() => undefined);
    if (!s) return;
    if (s.size < this.offset) {
      this.offset = 0;
      this.rest = Buffer.alloc(0);
    }
    if (s.size === this.offset) return;
    const fh = await open(this.file, 'r');
    try {
      const length = s.size - this.offset;
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      this.offset += got;
      // Split on the last newline as bytes, so a character cut by a concurrent append stays whole.
      const all = Buffer.concat([this.rest, buf.subarray(0, got)]);
      const cut = all.lastIndexOf(0x0a);
      this.rest = Buffer.from(all.subarray(cut + 1));
      for (const line of all.subarray(0, cut + 1).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        let r: RunRecord;
        try {
          r = JSON.parse(line) as RunRecord;
        } catch {
          continue; // torn by a crash mid-append
        }
        if (r && typeof r.id === 'string' && typeof r.topology === 'string') this.onRecord(r);
      }
    } finally {
      await fh.close();
    }
  }
}
