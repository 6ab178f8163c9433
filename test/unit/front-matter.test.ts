import { describe, expect, it } from 'vitest';
import { frontMatterScanBytes, parseFrontMatter } from '../../core/front-matter';
import { toJson } from '../../core/json';

const fm = (text: string) => parseFrontMatter(Buffer.from(text, 'utf8'));

describe('parseFrontMatter (folder and GitHub connectors)', () => {
  it('reads a YAML map between --- lines, after a BOM, with CRLF or a ... terminator', () => {
    expect(fm('---\ntype: ai-policy\nowner: Risk Office\n---\n# Policy\n')).toEqual({
      frontMatter: { type: 'ai-policy', owner: 'Risk Office' },
    });
    expect(fm('\uFEFF---\r\ntype: x\r\n---\r\nbody')).toEqual({ frontMatter: { type: 'x' } });
    expect(fm('---\ntype: x\n...\n')).toEqual({ frontMatter: { type: 'x' } });
    expect(fm('---\ntype: x\n---')).toEqual({ frontMatter: { type: 'x' } });
  });

  it('finds nothing without a leading block, or when the block ends beyond the scanned head', () => {
    expect(fm('# Policy\n---\ntype: x\n---\n')).toEqual({});
    expect(fm('')).toEqual({});
    expect(fm(`---\ntype: x\npad: ${'a'.repeat(frontMatterScanBytes)}\n---\n`)).toEqual({});
  });

  it('says why a block is unusable', () => {
    expect(fm('---\n- a\n- b\n---\n')).toEqual({ error: 'front matter is not a key/value map' });
    expect(fm('---\njust text\n---\n')).toEqual({ error: 'front matter is not a key/value map' });
    expect(fm('---\n~\n---\n')).toEqual({ error: 'front matter is not a key/value map' });
    expect(fm('---\na: [1, 2\n---\n').error).toMatch(/^front matter is not valid YAML: \S/);
    // A self-referencing alias cannot become JSON; it is reported, not thrown.
    expect(fm('---\na: &x [*x]\n---\n').error).toMatch(/^front matter is not valid YAML: /);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    expect(fm(`---\n${bomb.join('\n')}\n---\n`).error).toMatch(/^front matter is not valid YAML: /);
  });

  it('keeps values as plain JSON', () => {
    expect(
      fm('---\neffective_date: 2026-02-10\nat: !!timestamp 2026-02-10\ninf: .inf\nnan: .nan\nempty:\nn: 0x10\n---\n'),
    ).toEqual({
      frontMatter: {
        effective_date: '2026-02-10',
        at: '2026-02-10T00:00:00.000Z',
        inf: null,
        nan: null,
        empty: null,
        n: 16,
      },
    });
    const proto = fm('---\n__proto__: { polluted: true }\nb: 2\n---\n').frontMatter!;
    expect(Object.keys(proto)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('toJson', () => {
  it('writes what JSON.stringify writes, with Dates as ISO strings and bigints as decimal strings', () => {
    expect(
      toJson({
        d: new Date('2026-02-10T00:00:00Z'),
        bad: new Date('nope'),
        big: 12345678901234567890n,
        inf: Infinity,
        gone: undefined,
        list: [undefined, NaN, { nested: new Date(0) }],
      }),
    ).toEqual({
      d: '2026-02-10T00:00:00.000Z',
      bad: null,
      big: '12345678901234567890',
      inf: null,
      list: [null, null, { nested: '1970-01-01T00:00:00.000Z' }],
    });
    expect(toJson(undefined)).toBeNull();
    expect(toJson('s')).toBe('s');
  });

  it('throws on a circular value', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => toJson(a)).toThrow(TypeError);
  });
});
