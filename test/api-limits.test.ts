import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../api/auth/api-key.service.ts';
import { listen } from '../api/server.ts';
import { ApiLimitsSchema, ConfigSchema } from '../core/config.ts';
import { testApp } from './api-app.ts';
import { fakeApiKeyRepository } from './fake-api-keys.ts';

const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };
const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 6;

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  answer: string;
  /** Bytes the client had written when the connection closed. */
  sent: number;
  closedByServer: boolean;
}

/**
 * Opens a raw TCP connection, lets `talk` write to it (it may keep writing on a timer), and resolves
 * when the server closes it; the client gives up after `giveUpMs` (then closedByServer is false).
 */
function exchange(port: number, talk: (s: Socket, count: (n: number) => void) => void, giveUpMs = 10_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let byServer = true;
    const giveUp = setTimeout(() => {
      byServer = false;
      s.destroy();
    }, giveUpMs);
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, sent, closedByServer: byServer });
    });
    s.on('connect', () => talk(s, (n) => (sent += n)));
  });
}

/** Writes `first`, then `chunk` every `everyMs` until the socket closes. */
const trickle = (first: string, chunk: string, everyMs: number) => (s: Socket, count: (n: number) => void) => {
  s.write(first);
  count(first.length);
  const timer = setInterval(() => {
    if (s.destroyed || !s.writable) return clearInterval(timer);
    s.write(chunk);
    count(chunk.length);
  }, everyMs);
  s.on('close', () => clearInterval(timer));
};

const statusLine = (answer: string) => answer.split('\r\n')[0];
const problemOf = (answer: string) => {
  const [head, body] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
  expect(head.toLowerCase()).toContain('content-type: application/problem+json');
  return JSON.parse(body) as { code: string; status: number };
};

describe('a listening server bounds slow clients, oversized bodies and connections', () => {
  let app: FastifyInstance;
  let port: number;
  let admin: string;
  beforeAll(async () => {
    const keys = new ApiKeyService(fakeApiKeyRepository());
    admin = (await keys.create({ name: 'admin', role: 'admin' })).key;
    const limits = ApiLimitsSchema.parse({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS, commandBodyLimitBytes: 4096 });
    app = await testApp({ apiKeys: keys, audit: async () => {}, health, limits });
    port = (await listen(app, { host: '127.0.0.1', port: 0 })).port;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 408 problem+json and closes a client that trickles its headers (slowloris)', async () => {
    // One header byte every 50 ms: the client would never finish on its own.
    const r = await exchange(port, trickle('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'a', 50));
    expect(r.closedByServer).toBe(true);
    expect(statusLine(r.answer)).toBe('HTTP/1.1 408 Request Timeout');
    expect(problemOf(r.answer).code).toBe('REQUEST_TIMEOUT');
    // Closed near the headers timeout (checked on a tick of a quarter of it), not after the client's 10 s.
    expect(r.sent).toBeLessThan(60 + ((HEADERS_TIMEOUT_MS * 3) / 50));
  });

  it('closes a client that trickles its body within the request timeout', async () => {
    const head = `POST /api/v1/apikeys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{`;
    const r = await exchange(port, trickle(head, ' ', 50));
    expect(r.closedByServer).toBe(true);
    expect(statusLine(r.answer)).toBe('HTTP/1.1 408 Request Timeout');
    expect(problemOf(r.answer).code).toBe('REQUEST_TIMEOUT');
    expect(r.sent - head.length).toBeLessThan((REQUEST_TIMEOUT_MS * 3) / 50);
  });

  it('refuses a body over the limit from its Content-Length, before reading it, and closes the connection', async () => {
    const head = `POST /api/v1/apikeys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`;
    const r = await exchange(port, trickle(head, 'x'.repeat(1024), 5));
    expect(r.closedByServer).toBe(true);
    expect(statusLine(r.answer)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(r.answer.toLowerCase()).toContain('connection: close');
    const p = problemOf(r.answer) as { code: string; details?: { limitBytes: number } };
    expect(p.code).toBe('BODY_TOO_LARGE');
    expect(p.details?.limitBytes).toBe(4096);
    // A few chunks at most went out before the answer, never the announced gigabyte.
    expect(r.sent).toBeLessThan(1_000_000);
  });

  it('refuses a chunked body once it passes the limit, and closes the connection', async () => {
    const head = `POST /api/v1/apikeys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = 'x'.repeat(1000);
    const r = await exchange(port, trickle(head, `${chunk.length.toString(16)}\r\n${chunk}\r\n`, 5));
    expect(r.closedByServer).toBe(true);
    expect(statusLine(r.answer)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(problemOf(r.answer).code).toBe('BODY_TOO_LARGE');
    expect(r.sent).toBeLessThan(1_000_000);
  });

  it('closes the connection after refusing an unauthenticated upload instead of draining its body', async () => {
    const head = 'POST /api/v1/apikeys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n';
    const r = await exchange(port, trickle(head, 'x'.repeat(1024), 5));
    expect(r.closedByServer).toBe(true);
    expect(statusLine(r.answer)).toBe('HTTP/1.1 401 Unauthorized');
    expect(r.answer.toLowerCase()).toContain('connection: close');
    expect(r.sent).toBeLessThan(1_000_000);
  });

  it('answers headers over the size limit 431 and bytes that are not HTTP 400, as problem+json', async () => {
    const big = await exchange(port, (s) => s.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(statusLine(big.answer)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(problemOf(big.answer).code).toBe('HEADERS_TOO_LARGE');
    const junk = await exchange(port, (s) => s.write('\x00\x01\x02 NOT HTTP\r\n\r\n'));
    expect(statusLine(junk.answer)).toBe('HTTP/1.1 400 Bad Request');
    expect(problemOf(junk.answer).code).toBe('REQUEST_INVALID');
  });

  it('closes connections over maxConnections at once and still answers on the open ones and after', async () => {
    const open: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((r) => s.on('connect', r));
        open.push(s);
      }
      // Let the server accept all of them before the extra ones arrive.
      await new Promise((r) => setTimeout(r, 50));
      const extra = await Promise.all(
        Array.from({ length: 4 }, () => exchange(port, (s) => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'))),
      );
      for (const r of extra) {
        expect(r.closedByServer).toBe(true);
        expect(r.answer).toBe('');
      }
      // A connection within the limit is served.
      const answer = await new Promise<string>((resolve) => {
        let got = '';
        open[0].on('data', (d) => {
          got += d;
          if (got.includes('"status":"ok"')) resolve(got);
        });
        open[0].write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      expect(statusLine(answer)).toBe('HTTP/1.1 200 OK');
    } finally {
      for (const s of open) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    const after = await exchange(port, (s) => s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(statusLine(after.answer)).toBe('HTTP/1.1 200 OK');
  });
});

describe('text with a NUL character', () => {
  it('is refused 400 naming where, in a path, a query or a JSON body, before it reaches a service', async () => {
    const keys = new ApiKeyService(fakeApiKeyRepository());
    const admin = { authorization: `Bearer ${(await keys.create({ name: 'admin', role: 'admin' })).key}` };
    const app = await testApp({ apiKeys: keys, audit: async () => {}, health });
    try {
      const body = await app.inject({ method: 'POST', url: '/api/v1/apikeys', headers: admin, payload: { name: 'ok', role: 'viewer', extra: ['a', 'b\u0000'] } });
      expect(body.statusCode).toBe(400);
      expect(body.json()).toMatchObject({ code: 'REQUEST_INVALID', details: { where: 'body.extra[1]' } });
      const path = await app.inject({ method: 'DELETE', url: '/api/v1/apikeys/a%00b', headers: admin });
      expect(path.json()).toMatchObject({ code: 'REQUEST_INVALID', details: { where: 'params.key' } });
      const key = await app.inject({ method: 'POST', url: '/api/v1/apikeys', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"name":"ok","role":"viewer","a\\u0000":1}' });
      expect(key.json()).toMatchObject({ code: 'REQUEST_INVALID', details: { where: 'body (a key)' } });
      // Nothing was created or revoked.
      expect((await keys.list()).map((k) => [k.name, k.revokedAt])).toEqual([['admin', null]]);
    } finally {
      await app.close();
    }
  });
});

describe('api limits in the configuration', () => {
  it('has bounded defaults and refuses a headers timeout over the request timeout', () => {
    const api = ConfigSchema.parse({}).api;
    expect(api).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024, commandBodyLimitBytes: 65_536 });
    expect(() => ConfigSchema.parse({ api: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } })).toThrow(/headersTimeoutMs/);
  });
});
