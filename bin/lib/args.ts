import { parseArgs } from 'node:util';
import { z } from 'zod';
import { usageError } from './cli.ts';

/** An optional CLI option holding a JSON object (model parameters); absent means {}. */
export const jsonObjectArg = (name: string, example: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return {};
      try {
        const v = JSON.parse(s) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: `--${name} must be a JSON object, e.g. ${example}` });
      return {};
    });

/** parseArgs options for a command whose every option is a string, named by its zod schema's keys. */
export const stringOptions = (schema: { shape: Record<string, unknown> }): Record<string, { type: 'string' }> =>
  Object.fromEntries(Object.keys(schema.shape).map((k) => [k, { type: 'string' as const }]));

/**
 * The arguments of a command whose every option is a string, validated by its schema: an unknown
 * option or a value the schema refuses is a USAGE error carrying every message.
 */
export function parseStringArgs<S extends z.ZodObject>(args: string[], schema: S): z.output<S> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: stringOptions(schema) }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw usageError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}
