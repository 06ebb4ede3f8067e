import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { ConfigProblem } from '../core/errors.ts';

/** A parsed YAML file that can map a JSON path back to line:col for error messages. */
export class YamlFile {
  readonly file: string;
  readonly doc: Document;
  private readonly lines: LineCounter;

  private constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  static parse(file: string, text: string): { yaml: YamlFile; problems: ConfigProblem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const yaml = new YamlFile(file, doc, lines);
    const problems = [...doc.errors, ...doc.warnings].map((e) => {
      // With prettyErrors off the parser leaves linePos unset: map the offset ourselves. An error
      // reported on a line's indentation (BAD_INDENT) is placed on the token that is misindented.
      let at = e.pos[0];
      if (e.code === 'BAD_INDENT') while (text[at] === ' ') at++;
      const pos = lines.linePos(at);
      return { file, line: pos.line, col: pos.col, reason: e.message.split('\n')[0] ?? e.message };
    });
    return { yaml, problems: sortProblems(problems) };
  }

  static async read(file: string): Promise<{ yaml: YamlFile; problems: ConfigProblem[] }> {
    return YamlFile.parse(file, await readFile(file, 'utf8'));
  }

  toJS(): unknown {
    return this.doc.toJS();
  }

  /** Position of the value at `path` (or of the deepest existing ancestor); `key` points at the key instead. */
  position(path: readonly (string | number)[], key = false): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (key && n === path.length && n > 0) {
        const parent = sub.length > 1 ? this.doc.getIn(sub.slice(0, -1), true) : this.doc.contents;
        const pair = isNode(parent) && 'items' in parent
          ? (parent.items as unknown[]).find((it) => isPairWithKey(it, String(sub[sub.length - 1])))
          : undefined;
        const keyNode = pair && (pair as { key: unknown }).key;
        if (isNode(keyNode) && keyNode.range) return this.lines.linePos(keyNode.range[0]);
      }
      const node = n === 0 ? this.doc.contents : this.doc.getIn(sub, true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  problem(path: readonly (string | number)[], reason: string, key = false): ConfigProblem {
    return { file: this.file, ...this.position(path, key), reason };
  }
}

function isPairWithKey(item: unknown, key: string): boolean {
  if (!item || typeof item !== 'object' || !('key' in item)) return false;
  const k = (item as { key: unknown }).key;
  return isNode(k) && 'value' in k && String((k as { value: unknown }).value) === key;
}

/** Problems in file order: by line, then column (stable for equal positions). */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
