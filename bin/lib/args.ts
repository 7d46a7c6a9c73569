import { z } from 'zod';

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
