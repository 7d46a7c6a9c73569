import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: AnySchema }> }> }>>; components?: { schemas?: Record<string, AnySchema> } };

/** fastify route url (`/api/v1/runs/:id`) → OpenAPI path (`/api/v1/runs/{id}`). */
const openApiPath = (routeUrl: string) => routeUrl.replace(/:(\w+)/g, '{$1}');

const rebase = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema ?? {}), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `doc${v}` : v));

type Compiled = { ajv: Ajv2020; validators: WeakMap<object, ValidateFunction> };
const compiled = new WeakMap<object, Compiled>();

/** The validator of one schema of `doc`, compiled once per document (every injected answer is checked). */
function validatorFor(doc: Doc, schema: AnySchema): ValidateFunction {
  let c = compiled.get(doc);
  if (!c) {
    // Formats are checked: a `date-time` the document promises must be one.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    // References are written #/components/schemas/X: the document itself is the schema they resolve in.
    ajv.addSchema({ components: doc.components ?? {} } as AnySchema, 'doc');
    compiled.set(doc, (c = { ajv, validators: new WeakMap() }));
  }
  const key = schema as object;
  let validate = c.validators.get(key);
  if (!validate) c.validators.set(key, (validate = c.ajv.compile(rebase(schema) as AnySchema)));
  return validate;
}

const mediaType = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * Asserts that `body` is what the OpenAPI document says `method routeUrl` answers with `status`:
 * the status is documented (a 5xx may fall in the 5XX range), and the body validates against the
 * schema of its content type (media type parameters such as charset are not compared).
 */
function expectResponseMatchesOpenApi(doc: unknown, method: string, routeUrl: string, status: number, body: unknown, contentType: string): void {
  const d = doc as Doc;
  const op = d.paths[openApiPath(routeUrl)]?.[method.toLowerCase()];
  expect(op, `${method} ${routeUrl} is in the OpenAPI document`).toBeDefined();
  const responses = op!.responses ?? {};
  // A client error must be declared by its number, so a client learns from the document which
  // errors a route gives (the 4XX range stays in the document for ones no test makes); faults fall in 5XX.
  const res = responses[String(status)] ?? (status >= 500 ? (responses['5XX'] ?? responses.default) : undefined);
  expect(res, `${method} ${routeUrl} documents status ${status}`).toBeDefined();
  const content = res!.content ?? {};
  const type = mediaType(contentType);
  const key = Object.keys(content).find((k) => mediaType(k) === type);
  expect(key, `${method} ${routeUrl} ${status} documents ${type} (has ${Object.keys(content).join(', ') || 'none'})`).toBeDefined();
  const validate = validatorFor(d, content[key!].schema);
  const ok = validate(body);
  expect(ok, `${method} ${routeUrl} ${status}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

/**
 * Asserts that an answer as it went over the wire (status, content-type header, body bytes) is one
 * the OpenAPI document declares for `method routeUrl`. An empty answer must be documented without content.
 */
export function expectWireResponseMatchesOpenApi(doc: unknown, method: string, routeUrl: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  const contentType = res.headers['content-type'];
  if (res.body === '' && contentType === undefined) {
    const responses = (doc as Doc).paths[openApiPath(routeUrl)]?.[method.toLowerCase()]?.responses ?? {};
    const documented = responses[String(res.statusCode)];
    expect(documented, `${method} ${routeUrl} documents status ${res.statusCode}`).toBeDefined();
    expect(documented!.content, `${method} ${routeUrl} ${res.statusCode} is empty but documents content`).toBeUndefined();
    return;
  }
  expect(contentType, `${method} ${routeUrl} ${res.statusCode} has a content-type`).toEqual(expect.any(String));
  const type = mediaType(contentType as string);
  let body: unknown = res.body;
  if (isJson(type)) {
    try {
      body = JSON.parse(res.body);
    } catch {
      expect.fail(`${method} ${routeUrl} ${res.statusCode} says ${type} but its body is not JSON: ${res.body.slice(0, 200)}`);
    }
  }
  if (type === 'application/x-ndjson') {
    // A stream of JSON values: the document's schema is that of one line; the body ends with a newline.
    expect(res.body === '' || res.body.endsWith('\n'), `${method} ${routeUrl} ${res.statusCode}: an NDJSON body ends with a newline`).toBe(true);
    for (const line of res.body.split('\n').slice(0, -1)) expectResponseMatchesOpenApi(doc, method, routeUrl, res.statusCode, JSON.parse(line), contentType as string);
    return;
  }
  expectResponseMatchesOpenApi(doc, method, routeUrl, res.statusCode, body, contentType as string);
}
