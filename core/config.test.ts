import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { DEFAULT_RUPTURE_SETTINGS } from './rupture-settings.ts';

describe('loadConfig', () => {
  it('gives working defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe('./data');
    expect(c.simulator.enabled).toBe(true);
    expect(c.imputation.locfMaxSec).toBe(300);
  });

  it('reads the YAML file named by GRIDCAST_CONFIG, environment variables win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridcast-config-'));
    const file = join(dir, 'gridcast.yaml');
    writeFileSync(file, 'port: 9000\ntimeZone: America/New_York\nmqtt:\n  url: mqtt://127.0.0.1:1883\n  topics:\n    "scada/+/p": "{1}"\n');
    const c = loadConfig({ GRIDCAST_CONFIG: file, PORT: '9100' });
    expect(c.port).toBe(9100);
    expect(c.timeZone).toBe('America/New_York');
    expect(c.mqtt?.flushMs).toBe(200);
  });

  it('reads the rupture monitor settings from `rupture`, defaults for the rest', () => {
    expect(loadConfig({}).rupture).toEqual(DEFAULT_RUPTURE_SETTINGS);
    const c = loadConfig({}, { rupture: { alarmsPerYear: 0.5, windowHours: 12 } });
    expect(c.rupture).toEqual({ ...DEFAULT_RUPTURE_SETTINGS, alarmsPerYear: 0.5, windowHours: 12 });
    expect(() => loadConfig({}, { rupture: { alarmsPerYear: 0 } })).toThrow(/rupture\.alarmsPerYear/);
    // a misspelt setting is refused rather than ignored
    expect(() => loadConfig({}, { rupture: { windowHour: 12 } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('rejects an invalid value with a message naming the key', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/port/);
    expect(() => loadConfig({ GRIDCAST_CONFIG: '/nonexistent/gridcast.json' })).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND', message: '/nonexistent/gridcast.json: no such config file' }));
  });
});
