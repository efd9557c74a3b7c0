import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Named keys, one of them active: the shape of the codec keys and of the audit signing keys. */
export interface KeyRing {
  active: string;
  keys: Record<string, string>;
}

/**
 * Keys from configuration: `<envVar>` (JSON `{"active": id, "keys": {id: key}}`) or
 * `<envVar>_FILE` (a file holding that JSON). Outside production, with neither set, a key file
 * is created once at `devFile` (in the git-ignored .data/) so a fresh machine works; production
 * refuses to run without configured keys.
 */
export function loadKeyRing<T extends KeyRing>(
  env: NodeJS.ProcessEnv,
  o: { envVar: string; devFile: string; notConfigured: string; keyShape: string; generate: () => string },
): T {
  const fileVar = `${o.envVar}_FILE`;
  const parse = (json: string, from: string): T => {
    let v: T;
    try {
      v = JSON.parse(json) as T;
    } catch (err) {
      throw new Error(`${from}: not JSON (${(err as Error).message})`, { cause: err });
    }
    if (!v || typeof v.active !== 'string' || typeof v.keys !== 'object' || v.keys === null)
      throw new Error(`${from}: expected {"active": "<id>", "keys": {"<id>": "<${o.keyShape}>"}}`);
    return v;
  };
  if (env[o.envVar]) return parse(env[o.envVar]!, o.envVar);
  const file = env[fileVar] ?? (env.NODE_ENV === 'production' ? undefined : o.devFile);
  if (!file) throw new Error(`${o.notConfigured} are not configured: set ${o.envVar} or ${fileVar}`);
  if (!existsSync(file)) {
    if (env[fileVar]) throw new Error(`${fileVar}=${file} does not exist`);
    mkdirSync(dirname(file), { recursive: true });
    const id = `dev-${new Date().toISOString().slice(0, 10)}`;
    try {
      writeFileSync(file, `${JSON.stringify({ active: id, keys: { [id]: o.generate() } }, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process created it first
    }
  }
  return parse(readFileSync(file, 'utf8'), file);
}
