/**
 * The logging shape ingestion and jobs need: pino's (fastify's app.log satisfies it), so the
 * composition root passes one structured logger down and tests can pass a recording one.
 */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

export const consoleLog: Log = {
  info: (obj, msg) => console.log(JSON.stringify({ level: 'info', msg, ...obj })),
  warn: (obj, msg) => console.warn(JSON.stringify({ level: 'warn', msg, ...obj })),
  error: (obj, msg) => console.error(JSON.stringify({ level: 'error', msg, ...obj })),
};
