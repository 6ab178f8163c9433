import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FilesystemStore } from '../../evidence/fs-store';
import { verifyStore, type VerifyReport } from '../../evidence/verify';
import { UsageError } from './status';

/** `target` is a store folder, or one manifest file inside a store's manifests/ folder. */
export async function verifyTarget(target: string): Promise<VerifyReport> {
  const abs = path.resolve(target);
  let st;
  try {
    st = await stat(abs);
  } catch {
    throw new UsageError(`${abs} does not exist; pass an evidence store folder or a bundle manifest`);
  }
  if (st.isDirectory()) return verifyStore(await FilesystemStore.openExisting(abs));
  const m = /^(\d{12})\.json$/.exec(path.basename(abs));
  if (!m || path.basename(path.dirname(abs)) !== 'manifests') {
    throw new UsageError(`${abs} is not a bundle manifest (expected <store>/manifests/<12 digits>.json)`);
  }
  const store = await FilesystemStore.openExisting(path.dirname(path.dirname(abs)));
  return verifyStore(store, { sequences: [Number(m[1])] });
}

export function renderVerify(report: VerifyReport): string {
  const head = `${report.ok ? 'OK' : 'FAILED'}: ${report.store}: ${report.bundlesChecked} bundle(s), ${report.blobsChecked} blob(s) checked`;
  return [head, ...report.problems.map((p) => `  ${p.code}: ${p.message}`)].join('\n');
}
