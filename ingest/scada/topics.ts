import { GridcastError } from '../../core/errors.ts';

export interface TopicRoute {
  filter: string;
  resolve(topic: string): string | undefined;
}

/**
 * Compiles the config's `topic filter → series id template` map. `+` and `#` capture the
 * levels they match, numbered from 1 in filter order; `{n}` in the template is replaced by
 * capture n (e.g. "scada/+/p": "{1}" maps scada/sub-12/p to series sub-12).
 */
export function compileTopics(topics: Record<string, string>): TopicRoute[] {
  return Object.entries(topics).map(([filter, template]) => {
    const levels = filter.split('/');
    if (levels.some((l, i) => (l.includes('+') && l !== '+') || (l.includes('#') && (l !== '#' || i !== levels.length - 1)))) {
      throw new GridcastError('CONFIG_INVALID', `MQTT topic filter '${filter}' is not a valid filter: '+' and '#' must fill a whole level, '#' only the last one.`);
    }
    const wildcards = levels.filter((l) => l === '+' || l === '#').length;
    for (const m of template.matchAll(/\{(\d+)\}/g)) {
      if (Number(m[1]) < 1 || Number(m[1]) > wildcards) {
        throw new GridcastError('CONFIG_INVALID', `MQTT template '${template}' uses {${m[1]}} but filter '${filter}' has ${wildcards} wildcard(s).`);
      }
    }
    const pattern = new RegExp(
      '^' + levels.map((l) => (l === '+' ? '([^/]+)' : l === '#' ? '(.+)' : l.replace(/[.*?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$',
    );
    return {
      filter,
      resolve(topic: string) {
        const m = pattern.exec(topic);
        return m ? template.replace(/\{(\d+)\}/g, (_, n: string) => m[Number(n)]) : undefined;
      },
    };
  });
}

export function routeTopic(routes: TopicRoute[], topic: string): string | undefined {
  for (const r of routes) {
    const id = r.resolve(topic);
    if (id) return id;
  }
  return undefined;
}
