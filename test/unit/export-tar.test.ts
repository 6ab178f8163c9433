import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { archiveFormat, archiveRoot, writeArchive } from '../../evidence/export/archive';
import type { ArchiveEntry } from '../../evidence/export/tar';
import { sha256Hex } from '../../core/digest';
import { tempDir } from '../support/tmp';

async function* entries(list: ArchiveEntry[]): AsyncGenerator<ArchiveEntry> {
  yield* list;
}

describe('streaming tar.gz writer', () => {
  it('writes an archive that GNU tar extracts byte for byte: long and non-ASCII names, streamed entries, empty folders', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'pack.tar.gz');
    const longName = `${'deep/'.repeat(30)}${'n'.repeat(90)}.txt`; // 240 bytes: needs the ustar prefix field or a pax header
    const longBase = `flat-${'x'.repeat(150)}.txt`; // a single name over 100 bytes: pax only
    const big = Buffer.alloc(3 * 65536 + 17, 7);
    const digests = new Map<string, string>();
    await writeArchive(
      out,
      'tar.gz',
      'root',
      entries([
        { path: 'empty', directory: true },
        { path: 'a.txt', data: 'hello\n' },
        { path: longName, data: 'long\n' },
        { path: longBase, data: Buffer.from([0, 1, 2]) },
        { path: 'déjà vu/ünïcode.md', data: 'unicode\n' },
        { path: 'zero', data: '' },
        {
          path: 'streamed.bin',
          size: big.length,
          open: () => Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
        },
      ]),
      digests,
      new Date('2026-01-01T00:00:00Z'),
    );
    const x = path.join(dir, 'x');
    const r = spawnSync(
      'sh',
      ['-c', `mkdir -p '${x}' && tar xzf '${out}' -C '${x}' && find '${x}/root/empty' -type d`],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await readFile(path.join(x, 'root', 'a.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(path.join(x, 'root', longName), 'utf8')).toBe('long\n');
    expect([...(await readFile(path.join(x, 'root', longBase)))]).toEqual([0, 1, 2]);
    expect(await readFile(path.join(x, 'root', 'déjà vu', 'ünïcode.md'), 'utf8')).toBe('unicode\n');
    expect(await readFile(path.join(x, 'root', 'zero'), 'utf8')).toBe('');
    expect((await readFile(path.join(x, 'root', 'streamed.bin'))).equals(big)).toBe(true);
    expect(digests.get('streamed.bin')).toBe(sha256Hex(big));
    expect(digests.get('a.txt')).toBe(sha256Hex('hello\n'));
    expect(digests.has('empty')).toBe(false);
  });

  it('a stream shorter than announced fails and leaves no archive behind', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bad.tar.gz');
    await expect(
      writeArchive(
        out,
        'tar.gz',
        'root',
        entries([{ path: 'short', size: 10, open: () => Readable.from([Buffer.from('abc')]) }]),
        new Map(),
        new Date(),
      ),
    ).rejects.toThrow(/3 bytes read, 10 announced/);
    expect(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('names: the format follows the extension, the root folder the archive name', () => {
    expect(archiveFormat('a/b/pack.tar.gz')).toBe('tar.gz');
    expect(archiveFormat('pack.TGZ')).toBe('tar.gz');
    expect(archiveFormat('pack.zip')).toBe('zip');
    expect(() => archiveFormat('pack.tar')).toThrow(/must end in .tar.gz, .tgz or .zip/);
    expect(archiveRoot('/tmp/audit 2026 H1.tar.gz')).toBe('audit_2026_H1');
    expect(archiveRoot('.tgz')).toBe('audit-pack');
  });
});
