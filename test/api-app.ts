import type { FastifyInstance, FastifyRequest, InjectOptions } from 'fastify';
import { expect } from 'vitest';
import { buildApp, type AppDeps } from '../api/app.ts';
import { expectWireResponseMatchesOpenApi } from './openapi.ts';

type Route = { method: string; url: string };

/**
 * buildApp for tests: every answer `app.inject` returns is checked against the OpenAPI document
 * the app serves (app.swagger(), what GET /api/v1/openapi.json sends): the status is declared for
 * the operation, the content type is documented for
 * that status, the body validates against its schema), so a test cannot forget the contract.
 * The check reads the bytes as sent, so pre-serialized answers (the forecast pages) are checked too.
 * Requests no route answers (404 ROUTE_NOT_FOUND) and routes hidden from the document (/docs) have
 * no operation to check against. Test files build the app only through here (test/api-app.test.ts).
 */
export async function testApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await buildApp(deps);
  // Keyed by the raw request light-my-request made, which the answer carries back as res.raw.req.
  const routeOf = new WeakMap<object, Route | 'hidden'>();
  const hidden = (req: FastifyRequest) => (req.routeOptions.schema as { hide?: boolean } | undefined)?.hide === true;
  // onSend: it runs for every answer, handlers' and the error handler's alike, after routing.
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.routeOptions.url !== undefined) routeOf.set(req.raw, hidden(req) ? 'hidden' : { method: req.method, url: req.routeOptions.url });
    return payload;
  });
  const inject = app.inject.bind(app);
  const checked = async (opts: InjectOptions | string) => {
    const res = await inject(opts);
    const route = routeOf.get(res.raw.req);
    if (route === undefined) {
      // Only the not-found handler and the router's refusals (a URL that does not decode, a path segment
      // over the length limit) answer without a route; anything else escaped the hook.
      expect(`${res.statusCode} ${res.body}`, `${typeof opts === 'string' ? opts : opts.url} was answered outside the check`).toMatch(
        /^(404 .*"code":"ROUTE_NOT_FOUND"|400 .*"code":"REQUEST_INVALID"|414 .*"code":"PATH_PARAM_TOO_LONG")/,
      );
    } else if (route !== 'hidden') {
      expectWireResponseMatchesOpenApi(app.swagger(), route.method, route.url, res);
    }
    return res;
  };
  app.inject = checked as typeof app.inject;
  return app;
}
