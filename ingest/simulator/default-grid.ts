import { fileURLToPath } from 'node:url';
import { readTopologyFile } from '../topology/read.ts';
import type { Topology } from '../../core/topology/schema.ts';

/** Path of the built-in synthetic grid, used by `gridcast start` when no topology is configured. */
export const DEFAULT_GRID_PATH = fileURLToPath(new URL('./default-grid.yaml', import.meta.url));

export const readDefaultGrid = (): Topology => readTopologyFile(DEFAULT_GRID_PATH);
