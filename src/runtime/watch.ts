import { watch, type FSWatcher } from 'node:fs';

/**
 * Watches folders and calls `onChange` once things settle: editors that save by writing a temp file
 * and renaming it, partial writes and rapid successive saves produce bursts of events, so changes
 * are debounced and handled one reconcile at a time (a change during a reconcile queues another).
 */
export class FolderWatcher {
  private watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly onChange: () => Promise<void>, private readonly debounceMs = 400) {}

  /** Watches exactly these folders (adds new ones, drops ones no longer wanted). */
  setFolders(folders: Iterable<string>): void {
    const want = new Set(folders);
    for (const [dir, w] of this.watchers) if (!want.has(dir)) (w.close(), this.watchers.delete(dir));
    for (const dir of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.poke());
        w.on('error', () => this.poke());
        this.watchers.set(dir, w);
      } catch {
        // a folder that does not exist yet: the reconcile that needs it will report the missing file
      }
    }
  }

  /** Schedules a reconcile after the debounce delay. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(), this.debounceMs);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.onChange().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
    await this.running;
  }

  /** Waits for a reconcile in progress (for a clean stop). */
  async idle(): Promise<void> {
    await this.running;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
