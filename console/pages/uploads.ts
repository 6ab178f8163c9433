import { esc } from '../../evidence/export/html';
import type { UploadOutcome } from '../actions';
import type { Principal } from '../auth';
import { layout } from '../pages';

/** The upload form (multipart, works without scripts) with the mappings' topics as suggestions. */
export function uploadsPage(
  who: Principal,
  o: { allowed: boolean; topics: readonly string[]; maxBytes: number; filed?: UploadOutcome },
): string {
  const filed = o.filed
    ? `<p class="ok" role="status" id="upload-result">${o.filed.outcome === 'filed' ? 'Filed' : 'Already filed (same content)'}: ${esc(o.filed.file)} in ${esc(o.filed.source)}, topic ${esc(o.filed.topic)}, effective ${esc(o.filed.effective)}, sha256 ${esc(o.filed.sha256.slice(0, 12))}…. The next sweep of ${esc(o.filed.source)} seals it.</p>`
    : '';
  const options = o.topics.map((t) => `<option value="${esc(t)}"></option>`).join('');
  const form = o.allowed
    ? `<form method="post" action="/uploads" enctype="multipart/form-data" id="upload-form">
<input type="hidden" name="csrf" value="${esc(who.csrf ?? '')}">
<label for="upload-topic">Topic (what the record evidences)</label><input id="upload-topic" name="topic" list="topics" required autocomplete="off">
<datalist id="topics">${options}</datalist>
<label for="upload-date">Took effect on (yyyy-mm-dd, default today)</label><input id="upload-date" name="date" type="date">
<label for="upload-note">Note (optional)</label><input id="upload-note" name="note" maxlength="2000">
<label for="upload-file">File (at most ${o.maxBytes} bytes)</label><input id="upload-file" name="file" type="file" required>
<p><button type="submit" id="upload-submit">File the record</button></p>
</form>
<p>Records are never overwritten: a different file under the same name and date is refused.</p>`
    : '<p>Filing records needs the operator role.</p>';
  return layout(
    'Uploads',
    who,
    `<h1>File a manual record</h1>
${filed}
<p>Topics the mappings read: ${o.topics.map((t) => `<code>${esc(t)}</code>`).join(', ') || 'none'}.</p>
${form}`,
  );
}
