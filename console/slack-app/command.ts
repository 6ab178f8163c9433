/**
 * The `/evidence` slash command's text, parsed: `status [<glob>]`, `sweep --controls <glob>`, `help`.
 * Slack sends the text after the command as one string; anything not understood gets a usage reply that
 * names what was wrong, never a guess.
 */
export type EvidenceCommand =
  { kind: 'status'; controls?: string | undefined } | { kind: 'sweep'; controls: string } | { kind: 'help' };

export type ParsedCommand = { ok: true; command: EvidenceCommand } | { ok: false; problem: string };

export const commandUsage = [
  '`/evidence status [<controls>]`: the status of the matching controls and clauses, e.g. `/evidence status A.6.*` or `9.*`',
  '`/evidence sweep --controls <controls>`: collect the sources feeding those controls now (operators)',
  '`/evidence help`: this text',
].join('\n');

/** Control ids (A.6.2.4, 9.1) and the glob characters `sweep --controls` accepts (picomatch). */
const globPattern = /^[A-Za-z0-9.*?[\]{},!-]{1,100}$/;

function controlsGlob(value: string, what: string): ParsedCommand | string {
  if (!globPattern.test(value))
    return {
      ok: false,
      problem: `${what} "${value.slice(0, 100)}" is not a control id or glob (letters, digits, dots and * ? [ ] { } , ! - only)`,
    };
  return value;
}

export function parseEvidenceCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [sub, ...rest] = words;
  if (sub === undefined || sub === 'help') {
    if (rest.length > 0) return { ok: false, problem: `help takes no arguments (got "${rest[0]}")` };
    return { ok: true, command: { kind: 'help' } };
  }
  if (sub === 'status') {
    const flag = rest.find((w) => w.startsWith('-'));
    if (flag) return { ok: false, problem: `status takes no option "${flag}": write \`/evidence status A.6.*\`` };
    if (rest.length > 1) return { ok: false, problem: `status takes one control glob, got ${rest.length}` };
    if (rest.length === 0) return { ok: true, command: { kind: 'status' } };
    const glob = controlsGlob(rest[0]!, 'controls');
    return typeof glob === 'string' ? { ok: true, command: { kind: 'status', controls: glob } } : glob;
  }
  if (sub === 'sweep') {
    let controls: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i]!;
      const inline = /^--controls=(.*)$/.exec(w);
      let value: string | undefined;
      if (inline) value = inline[1]!;
      else if (w === '--controls') {
        value = rest[++i];
        if (value === undefined) return { ok: false, problem: '--controls needs a value, e.g. `--controls A.6.*`' };
      } else if (w.startsWith('-')) return { ok: false, problem: `sweep has no option "${w}" (only --controls)` };
      else return { ok: false, problem: `sweep takes no argument "${w}": write \`--controls ${w}\`` };
      if (controls !== undefined) return { ok: false, problem: '--controls is given twice' };
      const glob = controlsGlob(value, '--controls');
      if (typeof glob !== 'string') return glob;
      controls = glob;
    }
    // A sweep from a chat line is always scoped: a full sweep stays a deliberate `evidence-hub sweep`.
    if (controls === undefined)
      return { ok: false, problem: 'sweep needs --controls, e.g. `/evidence sweep --controls A.6.*`' };
    return { ok: true, command: { kind: 'sweep', controls } };
  }
  return { ok: false, problem: `unknown subcommand "${sub.slice(0, 40)}"` };
}
