import { describe, expect, it } from 'vitest';
import { loopbackUrl } from './through-server.ts';
import { apiRouteOf } from './write-routes.ts';

describe('the CLI over a running server', () => {
  it('reaches a server listening on a wildcard address on loopback', () => {
    expect(loopbackUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(loopbackUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(loopbackUrl('10.0.0.5', 80)).toBe('http://10.0.0.5:80');
  });

  it('names the API route of each writing command line, none where the API has none', () => {
    expect(apiRouteOf(['ingest', 'csv', 'm.csv', '--kind', 'metering'])).toBe('POST /api/v1/ingest/metering (the CSV as a text/csv body)');
    expect(apiRouteOf(['ingest', 'csv', 'w.csv', '--kind=weather'])).toMatch(/^POST \/api\/v1\/ingest\/weather /);
    expect(apiRouteOf(['forecast', '--horizon', 'day-ahead'])).toBe('POST /api/v1/runs');
    expect(apiRouteOf(['promote', 'load@3', '--reason', 'r'])).toBe('POST /api/v1/models/load/versions/3/promote');
    expect(apiRouteOf(['models', 'retire', 'load@2', '--reason', 'r'])).toBe('POST /api/v1/models/load/versions/2/retire');
    expect(apiRouteOf(['apikey', 'revoke', 'gw'])).toBe('DELETE /api/v1/apikeys/{id|name}');
    for (const argv of [['train', '--model', 'm'], ['topology', 'load', 'g.yaml'], ['ingest', 'release', '3'], ['forecast', 'reproduce', '1'], ['forecast', 'show', '1']]) {
      expect(apiRouteOf(argv), argv.join(' ')).toBeNull();
    }
  });
});
