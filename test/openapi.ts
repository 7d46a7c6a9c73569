import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema } from 'ajv';
import { expect } from 'vitest';

type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: AnySchema }> }> }>>; components?: { schemas?: Record<string, AnySchema> } };

/** fastify route url (`/api/v1/runs/:id`) → OpenAPI path (`/api/v1/runs/{id}`). */
export const openApiPath = (routeUrl: string) => routeUrl.replace(/:(\w+)/g, '{$1}');

const compiled = new WeakMap<object, Ajv2020>();
function ajvFor(doc: Doc): Ajv2020 {
  let ajv = compiled.get(doc);
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    // References are written #/components/schemas/X: the document itself is the schema they resolve in.
    ajv.addSchema({ components: doc.components ?? {} } as AnySchema, 'doc');
    compiled.set(doc, ajv);
  }
  return ajv;
}

const rebase = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema ?? {}), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `doc${v}` : v));

/**
 * Asserts that `body` is what the OpenAPI document says `method routeUrl` answers with `status`:
 * the status (or its 4XX/5XX range, or default) is documented, and the body validates against the
 * schema of its content type (application/json unless `contentType` is given).
 */
export function expectResponseMatchesOpenApi(doc: unknown, method: string, routeUrl: string, status: number, body: unknown, contentType?: string): void {
  const d = doc as Doc;
  const op = d.paths[openApiPath(routeUrl)]?.[method.toLowerCase()];
  expect(op, `${method} ${routeUrl} is in the OpenAPI document`).toBeDefined();
  const responses = op!.responses ?? {};
  const res = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  expect(res, `${method} ${routeUrl} documents status ${status}`).toBeDefined();
  const content = res!.content ?? {};
  const type = contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
  const media = content[type];
  expect(media, `${method} ${routeUrl} ${status} documents ${type} (has ${Object.keys(content).join(', ') || 'none'})`).toBeDefined();
  const validate = ajvFor(d).compile(rebase(media!.schema) as AnySchema);
  const ok = validate(body);
  expect(ok, `${method} ${routeUrl} ${status}: ${JSON.stringify(validate.errors)}`).toBe(true);
}
