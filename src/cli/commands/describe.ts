import { loadServiceConfig } from '../../config/service.ts';
import { loadTopology } from '../../config/topology.ts';
import { StrataError } from '../../core/errors.ts';
import { describeTopology, mermaidTopology } from '../../runtime/describe.ts';
import { findTopologyFile } from '../../runtime/discover.ts';
import { YamlFile } from '../../config/yaml-file.ts';

/** `strata describe T`: the graph as text, or Mermaid. */
export async function describeCommand(topology: string, opts: { mermaid?: boolean; config?: string }): Promise<void> {
  const file = await resolveTopology(topology, opts.config);
  const t = await loadTopology(file);
  process.stdout.write(opts.mermaid ? mermaidTopology(t) : describeTopology(t));
}

export async function resolveTopology(nameOrPath: string, configFile?: string): Promise<string> {
  const config = await loadServiceConfig(configFile);
  const file = await findTopologyFile(config, nameOrPath, async (f) => {
    const v = (await YamlFile.read(f)).yaml.toJS() as { name?: string } | null;
    return v?.name;
  });
  if (!file) throw new StrataError('TOPOLOGY_NOT_FOUND', `unknown topology "${nameOrPath}" (not a file, nor a name in ${config.service.topologies.join(', ')})`);
  return file;
}
