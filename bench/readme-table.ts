// The README's benchmark table, generated from bench/results.json (never edited by hand): `npm run
// bench:readme` rewrites the part of README.md between the markers; `npm run bench` does it after a run,
// and test/unit/bench-readme.test.ts fails when the README and results.json disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, type Figure, type Results } from './figures';

export const tableStart = '<!-- bench-table:start (generated from bench/results.json by `npm run bench:readme`) -->';
export const tableEnd = '<!-- bench-table:end -->';

export const resultsPath = path.join(root, 'bench', 'results.json');
export const readmePath = path.join(root, 'README.md');

export function readResults(file = resultsPath): Results {
  return JSON.parse(readFileSync(file, 'utf8')) as Results;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function goal(f: Figure): string {
  if (!f.target) return '';
  if (f.met === undefined) return f.target;
  if (f.met) return `${f.target}: met`;
  return `${f.target}: **not met**${f.shortfall ? `. ${f.shortfall}` : ''}`;
}

function measured(f: Figure, machines: string[]): string {
  const parts = [f.date.slice(0, 10), `\`${f.commit.slice(0, 7)}\`${f.dirty ? ' + uncommitted changes' : ''}`];
  if (machines.length > 1) parts.push(`machine ${machines.indexOf(f.machine) + 1}`);
  if (f.provenance) parts.push(f.provenance);
  return parts.join(', ');
}

/** The Markdown between the markers (without them). */
export function renderTable(results: Results): string {
  const machines = [...new Set(results.figures.map((f) => f.machine))];
  const legend =
    machines.length === 1
      ? `Measured on ${machines[0]}.`
      : `Machines: ${machines.map((m, i) => `(${i + 1}) ${m}`).join('; ')}.`;
  return [
    legend,
    '',
    '| benchmark | metric | value | goal | note | measured (date, commit) |',
    '|---|---|---|---|---|---|',
    ...results.figures.map(
      (f) =>
        `| ${cell(f.benchmark)} | ${cell(f.metric)} | ${cell(`${f.value} ${f.unit}`)} | ${cell(goal(f))} | ${cell(f.note ?? '')} | ${cell(measured(f, machines))} |`,
    ),
  ].join('\n');
}

/** README text with the table between the markers replaced; throws when the markers are missing. */
export function withTable(readme: string, results: Results): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no benchmark table markers: put "${tableStart}" and "${tableEnd}" around it`);
  }
  return `${readme.slice(0, start + tableStart.length)}\n${renderTable(results)}\n${readme.slice(end)}`;
}

/** Writes README.md's table (and bench/results.md, the same table alone) from results.json. */
export function writeReadmeTable(results = readResults()): void {
  const readme = readFileSync(readmePath, 'utf8');
  writeFileSync(readmePath, withTable(readme, results));
  writeFileSync(path.join(root, 'bench', 'results.md'), renderTable(results) + '\n');
}

if (require.main === module) writeReadmeTable();
