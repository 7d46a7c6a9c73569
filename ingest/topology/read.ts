import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GridcastError } from '../../core/errors.ts';
import { checkTextFile } from '../../core/text-file.ts';
import type { Topology } from '../../core/topology/schema.ts';
import { validateTopology } from '../../core/topology/validate.ts';

/** Parses topology text: JSON for .json, YAML otherwise (YAML also reads JSON). */
export function parseTopology(text: string, source = 'topology'): Topology {
  let data: unknown;
  try {
    data = extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new GridcastError('TOPOLOGY_SYNTAX', `Cannot parse ${source}: ${(e as Error).message}`, { source });
  }
  return validateTopology(data, source);
}

export function readTopologyFile(path: string): Topology {
  checkTextFile(path, 'topology file', { gzip: false });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GridcastError('FILE_UNREADABLE', `cannot read the topology file ${path}: ${(e as Error).message}`, { file: path });
  }
  return parseTopology(text, path);
}
