import { GridcastError, isGridcastError } from '../../core/errors.ts';
import { storeOwner } from '../../store/store-lock.ts';

/**
 * The REST route that does what a writing command line does, for the STORE_LOCKED message: while
 * `gridcast start` holds the embedded store, writes go through its API (with a key of the role the
 * route needs). Null where the API has no such route.
 */
export function apiRouteOf(argv: readonly string[]): string | null {
  const [command, sub, ...rest] = argv;
  const flag = (name: string) => {
    const all = [sub, ...rest];
    const i = all.indexOf(`--${name}`);
    return i >= 0 ? all[i + 1] : all.find((a) => a?.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const version = (id: string | undefined) => {
    const m = /^([^@\s]+)@(\d+)$/.exec(id ?? '');
    return m ? `/models/${m[1]}/versions/${m[2]}` : '/models/{name}/versions/{version}';
  };
  switch (command) {
    case 'ingest':
      if (sub === 'transfers') return 'POST /api/v1/planned/transfers (the CSV as a text/csv body)';
      return sub === 'csv' ? `POST /api/v1/ingest/${flag('kind') ?? '{measurements|metering|weather}'} (the CSV as a text/csv body)` : null;
    case 'forecast':
      return sub === undefined || sub.startsWith('--') ? 'POST /api/v1/runs' : null;
    case 'promote':
      return `POST /api/v1${version(sub)}/promote`;
    case 'models':
      return sub === 'shadow' || sub === 'retire' ? `POST /api/v1${version(rest[0])}/${sub}` : null;
    case 'apikey':
      return sub === 'create' ? 'POST /api/v1/apikeys' : sub === 'revoke' ? 'DELETE /api/v1/apikeys/{id|name}' : sub === 'list' ? 'GET /api/v1/apikeys' : null;
    default:
      return null;
  }
}

/** A STORE_LOCKED of a command the running server's API can do, with that route added to its message. */
export function withApiRoute(e: unknown, argv: readonly string[]): unknown {
  if (!isGridcastError(e) || e.code !== 'STORE_LOCKED' || typeof e.details.dataDir !== 'string') return e;
  const route = apiRouteOf(argv);
  const url = storeOwner(e.details.dataDir)?.url;
  if (!route || !url) return e;
  return new GridcastError('STORE_LOCKED', `${e.message} While it runs, its API does the same: ${route} at ${url}.`, { ...e.details, url, route });
}
