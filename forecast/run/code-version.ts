import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The code a run was made with, recorded in its settings so a reproduction can say whether the
 * code changed since: the git commit of the checkout, else the package version (an install
 * without .git). Trained model versions record the same value.
 */
export const CODE_VERSION: string = (() => {
  const root = new URL('../../', import.meta.url);
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
    return `v${pkg.version}`;
  }
})();
