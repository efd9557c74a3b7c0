import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** domain/ is used by deterministic workflows: no I/O, no clock, no randomness. */
const dir = join(__dirname, '..', '..', 'domain');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
const forbidden: [RegExp, string][] = [
  [
    /from\s+['"](node:|fs|path|os|http|https|net|child_process|crypto|pg|kysely|@temporalio)/,
    'imports I/O or a runtime',
  ],
  [/require\(/, 'requires a module'],
  [/Date\.now|new Date\(\s*\)|performance\.now|process\./, 'reads the clock or the process'],
  [/Math\.random|crypto\.|randomUUID/, 'uses randomness'],
];

describe('domain purity', () => {
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files)('%s has no I/O, clock or randomness', (file) => {
    const src = readFileSync(join(dir, file), 'utf8');
    for (const [re, what] of forbidden) expect(re.test(src), `${file} ${what}`).toBe(false);
  });
  it('the check itself catches a clock', () => {
    expect(forbidden.some(([re]) => re.test('const t = Date.now();'))).toBe(true);
  });
});
