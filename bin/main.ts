import { existsSync } from 'node:fs';
import { isGridcastError } from '../core/errors.ts';

/**
 * The `gridcast` command. Each sub-command lives in bin/commands/<name>.ts and exports
 * `run(args: string[]): Promise<number>` (the exit code) and a one-line `summary`.
 */
const [name, ...args] = process.argv.slice(2);
const commandFile = (n: string) => new URL(`./commands/${n}.ts`, import.meta.url);

async function main(): Promise<number> {
  if (!name || name === 'help' || name === '--help') {
    const { readdirSync } = await import('node:fs');
    const names = readdirSync(new URL('./commands/', import.meta.url))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    console.log('usage: gridcast <command> [options]\n\ncommands:');
    for (const n of names) {
      const mod = (await import(commandFile(n).href)) as { summary?: string };
      console.log(`  ${n.padEnd(10)} ${mod.summary ?? ''}`);
    }
    return 0;
  }
  if (!/^[a-z-]+$/.test(name) || !existsSync(commandFile(name))) {
    console.error(`gridcast: unknown command '${name}' (see 'gridcast help')`);
    return 2;
  }
  const mod = (await import(commandFile(name).href)) as { run: (a: string[]) => Promise<number> };
  return mod.run(args);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isGridcastError(e)) {
      console.error(`gridcast: error ${e.code}: ${e.message}`);
    } else {
      console.error(`gridcast: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    }
    process.exitCode = 1;
  },
);
