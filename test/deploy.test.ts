import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, readConfigFile } from '../core/config.ts';

// Docker does not run here: the deployment files are checked by reading them.
const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const text = (p: string) => readFileSync(root(p), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: unknown;
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}

describe('docker-compose.yml (a real deployment)', () => {
  const file = text('docker-compose.yml');
  const compose = parse(file) as { services: Record<string, Service> };
  const gridcast = compose.services.gridcast;

  it('builds the gridcast image once instead of installing at every start, and checks its health', () => {
    expect(gridcast.build).toBe('.');
    expect(JSON.stringify(gridcast.command ?? '')).not.toMatch(/npm (ci|install)/);
    expect(gridcast.healthcheck?.test.join(' ')).toMatch(/^CMD node -e .*fetch\('http:\/\/127\.0\.0\.1:8080\/health'\)/);
  });

  it('has no default database password: every use requires POSTGRES_PASSWORD', () => {
    const uses = [...file.matchAll(/\$\{(\w*PASSWORD\w*)([^}]*)\}/g)];
    expect(uses.length).toBeGreaterThanOrEqual(2);
    for (const [, name, rest] of uses) {
      expect(name).toBe('POSTGRES_PASSWORD');
      expect(rest.startsWith(':?')).toBe(true);
    }
    expect(compose.services.db.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(gridcast.environment?.DATABASE_URL).toMatch(/^postgres:\/\/gridcast:\$\{POSTGRES_PASSWORD:\?[^}]*\}@db:5432\/gridcast$/);
  });

  it('publishes on 127.0.0.1 only, and not the database', () => {
    for (const service of Object.values(compose.services)) for (const p of service.ports ?? []) expect(p).toMatch(/^'?127\.0\.0\.1:/);
    expect(gridcast.ports).toHaveLength(1);
    expect(compose.services.db.ports).toBeUndefined();
  });

  it('runs a live MQTT source from the example configuration, not the simulator', () => {
    expect(gridcast.environment?.GRIDCAST_CONFIG).toBe('/etc/gridcast/gridcast.yaml');
    const mount = gridcast.volumes?.find((v) => v.includes(':/etc/gridcast/gridcast.yaml'));
    const example = /^\$\{GRIDCAST_CONFIG_FILE:-\.\/(.+)\}:\/etc\/gridcast\/gridcast\.yaml:ro$/.exec(mount ?? '')?.[1];
    expect(example).toBe('deploy/gridcast.example.yaml');
    const config = loadConfig({}, readConfigFile(root(example!)));
    expect(config.mqtt).toMatchObject({ url: expect.stringMatching(/^mqtts?:\/\//), topics: { 'scada/+/p': '{1}' } });
    expect(config.simulator.enabled).toBe(false);
  });
});

describe('Dockerfile', () => {
  const dockerfile = text('Dockerfile');
  const pkg = JSON.parse(text('package.json')) as { dependencies: Record<string, string> };

  it('installs the runtime dependencies at build time and runs the TypeScript through tsx', () => {
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
    // --omit=dev leaves only `dependencies`: tsx, which runs gridcast, must be one of them.
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/gridcast\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["start"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    // The slim base has no curl: the healthcheck uses node.
    expect(dockerfile.replace(/^#.*$/gm, '')).not.toMatch(/curl|wget/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('keeps local dependencies, stores and secrets out of the image', () => {
    const ignored = text('.dockerignore').split('\n');
    for (const p of ['node_modules', 'data', '.env', '.git']) expect(ignored).toContain(p);
  });
});
