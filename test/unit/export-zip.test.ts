import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { writeArchive } from '../../evidence/export/archive';
import type { ArchiveEntry } from '../../evidence/export/tar';
import { zipStream } from '../../evidence/export/zip';
import { tempDir } from '../support/tmp';

async function* entries(list: Iterable<ArchiveEntry>): AsyncGenerator<ArchiveEntry> {
  yield* list;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Reads a zip with Python's zipfile, an independent implementation: every entry's CRC-32 is checked
 * (testzip), and names, sizes, flags, versions, ZIP64 extras and content digests are reported.
 */
function readWithPython(file: string): {
  bad: string | null;
  entries: {
    name: string;
    dir: boolean;
    size: number;
    flags: number;
    extract: number;
    zip64: boolean;
    sha256: string | null;
    date: number[];
  }[];
} {
  const script = `
import hashlib, json, struct, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    out = {"bad": z.testzip(), "entries": []}
    for i in z.infolist():
        extra, zip64 = i.extra, False
        while len(extra) >= 4:
            tag, size = struct.unpack("<HH", extra[:4])
            zip64 = zip64 or tag == 1
            extra = extra[4 + size:]
        out["entries"].append({"name": i.filename, "dir": i.is_dir(), "size": i.file_size, "flags": i.flag_bits,
            "extract": i.extract_version, "zip64": zip64, "date": list(i.date_time),
            "sha256": None if i.is_dir() else hashlib.sha256(z.read(i)).hexdigest()})
print(json.dumps(out))
`;
  const r = spawnSync(process.env['EVIDENCE_HUB_PYTHON'] ?? 'python3', ['-c', script, file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python zipfile could not read ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof readWithPython>;
}

describe('streaming zip writer', () => {
  const big = Buffer.from(Array.from({ length: 3 * 65536 + 17 }, (_, i) => (i * 7919) % 251));
  const list = (): ArchiveEntry[] => [
    { path: 'empty', directory: true },
    { path: 'a.txt', data: 'hello\n' },
    { path: `${'deep/'.repeat(30)}${'n'.repeat(90)}.txt`, data: 'long\n' },
    { path: 'déjà vu/ünïcode.md', data: 'unicode\n' },
    { path: 'zero', data: '' },
    { path: 'streamed.bin', size: big.length, open: () => Readable.from([big.subarray(0, 1000), big.subarray(1000)]) },
  ];

  it('writes an archive Python reads entry for entry with valid CRCs: UTF-8 names, folders, empty and streamed files', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'pack.zip');
    const digests = new Map<string, string>();
    await writeArchive(out, 'zip', 'root', entries(list()), digests, new Date('2026-03-04T05:06:08Z'));
    const z = readWithPython(out);
    expect(z.bad).toBeNull();
    expect(z.entries.map((e) => e.name)).toEqual([
      'root/empty/',
      'root/a.txt',
      `root/${'deep/'.repeat(30)}${'n'.repeat(90)}.txt`,
      'root/déjà vu/ünïcode.md',
      'root/zero',
      'root/streamed.bin',
    ]);
    const byName = new Map(z.entries.map((e) => [e.name, e]));
    expect(byName.get('root/empty/')).toMatchObject({ dir: true });
    expect(byName.get('root/a.txt')).toMatchObject({
      size: 6,
      sha256: sha('hello\n'),
      zip64: false,
      extract: 20,
      date: [2026, 3, 4, 5, 6, 8],
    });
    expect(byName.get('root/déjà vu/ünïcode.md')!.flags & 0x800).toBe(0x800); // names are flagged UTF-8
    expect(byName.get('root/zero')).toMatchObject({ size: 0, sha256: sha('') });
    expect(byName.get('root/streamed.bin')).toMatchObject({ size: big.length, sha256: sha(big) });
    // The digests the pack index lists are those of the bytes that went in.
    expect(digests.get('streamed.bin')).toBe(sha(big));
    expect(digests.get('a.txt')).toBe(sha('hello\n'));
  });

  it('ZIP64 sizes, offsets and end records (forced small) are read back correctly', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'zip64.zip');
    await pipeline(
      Readable.from(
        zipStream(entries(list()), () => undefined, new Date('2026-01-01T00:00:00Z'), { zip64Threshold: 0 }),
      ),
      createWriteStream(out),
    );
    const z = readWithPython(out);
    expect(z.bad).toBeNull();
    const files = z.entries.filter((e) => !e.dir);
    expect(files.every((e) => e.zip64 && e.extract === 45)).toBe(true);
    expect(files.find((e) => e.name === 'streamed.bin')).toMatchObject({ size: big.length, sha256: sha(big) });
  });

  it('more than 65,535 entries get the ZIP64 end of central directory', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'many.zip');
    function* many(): Generator<ArchiveEntry> {
      for (let i = 0; i < 65_600; i++) yield { path: `d${i}`, directory: true };
      yield { path: 'last.txt', data: 'end\n' };
    }
    await writeArchive(out, 'zip', 'root', entries(many()), new Map(), new Date('2026-01-01T00:00:00Z'));
    const z = readWithPython(out);
    expect(z.entries).toHaveLength(65_601);
    expect(z.entries.at(-1)).toMatchObject({ name: 'root/last.txt', sha256: sha('end\n') });
  });

  it('a file that changes size while it is archived fails the export and leaves no archive', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'pack.zip');
    const err = await writeArchive(
      out,
      'zip',
      'root',
      entries([{ path: 'x.bin', size: 10, open: () => Readable.from([Buffer.alloc(12)]) }]),
      new Map(),
      new Date(),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'root/x.bin: more than the 10 bytes announced (the file changed while it was archived)',
    );
    expect(existsSync(out)).toBe(false);
  });
});
