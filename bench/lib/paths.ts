import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Generated inputs, kept between runs (gitignored with the rest of .cache/). */
export const CACHE = join(ROOT, '.cache/bench');
