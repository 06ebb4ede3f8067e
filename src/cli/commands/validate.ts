import { existsSync } from 'node:fs';
import { formatProblem, type ConfigProblem } from '../../core/errors.ts';
import { validateAgainstSchema } from '../../config/schema.ts';
import { checkTopology } from '../../config/topology.ts';
import { sortProblems, YamlFile } from '../../config/yaml-file.ts';

/** `strata validate FILE…`: every problem of every file, as file:line:col reason. */
export async function validateCommand(files: string[]): Promise<void> {
  let bad = 0;
  for (const file of files) {
    const problems = await validateFile(file);
    if (problems.length) {
      bad++;
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    } else process.stdout.write(`${file}: ok\n`);
  }
  if (bad) process.exitCode = 1;
}

export async function validateFile(file: string): Promise<ConfigProblem[]> {
  if (!existsSync(file)) return [{ file, line: 1, col: 1, reason: 'file not found' }];
  const { yaml, problems } = await YamlFile.read(file);
  if (problems.length) return problems;
  const value = yaml.toJS() as Record<string, unknown> | null;
  if (value && typeof value === 'object' && 'service' in value) {
    return sortProblems(validateAgainstSchema('service', value).map((p) => yaml.problem(p.path, p.reason, p.atKey)));
  }
  return checkTopology(yaml).problems;
}
