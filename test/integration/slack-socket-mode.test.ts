import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../alerts/config';
import { planAlerts } from '../../alerts/engine';
import { emptyAlertState } from '../../alerts/state';
import { alertPolicyWithConsole } from '../../activities/alert-policy';
import { startSlackApp, type SlackApp } from '../../console/slack-app/socket';
import { readManifest } from '../../evidence/index';
import { pendingOperatorActions } from '../../evidence/operator-actions';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import type { SweepResult } from '../../workflows';
import { blockProblems } from '../fakes/slack-server';
import { FakeSlackSocketServer, type SlackMessage } from '../fakes/slack-socket-server';
import { consoleOn, tokens, type ConsoleFixture } from '../support/console-fixture';
import { quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { spawnCli, waitFor, type CliProcess } from '../support/processes';
import { suiteDir } from '../support/tmp';

const appToken = 'xapp-1-A0FAKEAPP-1-c0ffee';
const botToken = 'xoxb-1-fake-bot';
const publicUrl = 'https://evidence.example.com';
const operator = 'U0OPERATOR';
const viewer = 'U0VIEWER';

let env: TestWorkflowEnvironment;
let fake: FakeSlackSocketServer;
let fx: ConsoleFixture;
let worker: Worker;
let running: Promise<void>;
let slack: SlackApp;
let serve: CliProcess | undefined;

beforeAll(async () => {
  env = await startDevServer();
  fake = await FakeSlackSocketServer.start({ appToken, botToken });
  process.env['EH_TEST_SLACK_APP_TOKEN'] = appToken;
  fx = await consoleOn(
    await suiteDir(),
    `temporal: { address: "${env.address}", taskQueue: slack-${randomBytes(4).toString('hex')} }`,
    {
      consoleLines: [
        `publicUrl: ${publicUrl}`,
        'slack:',
        '  appToken: { env: EH_TEST_SLACK_APP_TOKEN }',
        `  apiUrl: ${fake.apiUrl}`,
        '  users:',
        `    - { slackUserId: ${operator}, role: operator }`,
        `    - { slackUserId: ${viewer}, role: viewer }`,
      ],
    },
  );
  worker = await createHubWorker(fx.hub, await signingKey(fx.hub), quietLog, {
    connection: env.nativeConnection,
    workflowBundle: await workflowBundle(),
  });
  running = worker.run();
  // As serve starts it: on the console's own options, with the configured public URL.
  slack = await startSlackApp(
    fx.hub.config.console!.slack!,
    { ...fx.options, publicUrl: fx.hub.config.console?.publicUrl },
    fx.hub.config.baseDir,
  );
});
afterAll(async () => {
  serve?.child.kill('SIGKILL');
  await slack?.stop().catch(() => undefined);
  await fake?.close();
  worker?.shutdown();
  await running;
  await fx?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
  await env?.teardown();
});

/** Every text of a Slack message: its fallback and each block's text. */
const allText = (m: SlackMessage | Record<string, unknown> | undefined): string =>
  [
    String(m?.['text' as keyof typeof m] ?? ''),
    ...((m?.['blocks' as keyof typeof m] as SlackMessage['blocks']) ?? []).map((b) => b.text?.text ?? ''),
  ].join('\n');

const sweepIdIn = (m: SlackMessage): string => /`(sweep-[^`]+)`/.exec(m.text)?.[1] ?? '';

describe('the Slack app over Socket Mode, against a fake Slack and a real Temporal dev server', () => {
  it('connected with the app token at apps.connections.open', () => {
    expect(fake.openTokens).toEqual([appToken]);
    expect(fake.connected).toBe(true);
  });

  it('a wrong app token fails the start with invalid_auth, and the token is not in the error', async () => {
    const config = { ...fx.hub.config.console!.slack!, appToken: { env: 'EH_TEST_SLACK_WRONG_TOKEN' } };
    process.env['EH_TEST_SLACK_WRONG_TOKEN'] = 'xapp-1-wrong-token';
    const failed = await startSlackApp(config, { ...fx.options }, fx.hub.config.baseDir).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failed?.message).toContain('invalid_auth');
    expect(failed?.message).not.toContain('xapp-1-wrong-token');
    expect(fake.openTokens.at(-1)).toBe('xapp-1-wrong-token');
  });

  it('/evidence status A.6.* answers the A.6 controls of the catalog, with their console pages', async () => {
    const { envelopeId, ack } = await fake.slashCommand(viewer, 'status A.6.*');
    expect(ack.payload ?? {}).toEqual({});
    const reply = await fake.responseTo(envelopeId);
    expect(reply.response_type).toBe('ephemeral');
    const ids = fx.hub.mappings.catalog.controls.map((c) => c.id).filter((id) => id.startsWith('A.6.'));
    expect(ids.length).toBeGreaterThan(5);
    const text = allText(reply);
    for (const id of ids) {
      expect(text).toContain(`*${id}*`);
      expect(text).toContain(`${publicUrl}/controls/${id}|`);
    }
    expect(text).not.toContain('*A.7.');
    expect(reply.blocks!.length).toBeLessThanOrEqual(50);
    expect(reply.text).toContain(`Matching A.6.*: ${ids.length} Annex A controls: `);
    // No clause id starts with A.6: no clause section.
    expect(reply.text).not.toContain('clause');
  });

  it('/evidence status 9.* answers the clauses of clause 9 from the same evaluation', async () => {
    const { envelopeId } = await fake.slashCommand(viewer, 'status 9.*');
    const reply = await fake.responseTo(envelopeId);
    const ids = fx.hub.mappings.clauses.controls.map((c) => c.id).filter((id) => id.startsWith('9.'));
    expect(ids.length).toBeGreaterThan(2);
    const text = allText(reply);
    for (const id of ids) expect(text).toContain(`*${id}*`);
    expect(text).not.toContain('*A.');
    expect(reply.text).toContain(`Matching 9.*: ${ids.length} clauses: `);
    expect(blockProblems(reply.blocks!)).toEqual([]);
  });

  it('/evidence status of every control stays within the Block Kit limits', async () => {
    const { envelopeId } = await fake.slashCommand(viewer, 'status');
    const reply = await fake.responseTo(envelopeId);
    const ids = fx.hub.mappings.catalog.controls.map((c) => c.id);
    expect(reply.text).toContain(`${ids.length} Annex A controls: `);
    // The clauses are counted, not listed: all of them would not fit one message.
    expect(reply.text).toContain(`; ${fx.hub.mappings.clauses.controls.length} clauses: `);
    expect(blockProblems(reply.blocks!)).toEqual([]);
  });

  it('a malformed envelope is acked and ignored; the app keeps answering', async () => {
    const bad = await fake.envelope('slash_commands', { command: '/evidence', text: 'status' }, true);
    expect(bad.ack.payload ?? {}).toEqual({});
    const other = await fake.envelope('interactive', { type: 'view_submission', user: { id: operator } }, false);
    expect(other.ack.payload ?? {}).toEqual({});
    const { ack } = await fake.slashCommand(operator, 'help');
    expect(String(ack.payload?.['text'])).toContain('/evidence status [<controls>]');
  });

  it('a bad command gets a usage reply in the ack, naming what was wrong', async () => {
    const { envelopeId, ack } = await fake.slashCommand(operator, 'sweep --sources docs');
    expect(ack.payload?.['response_type']).toBe('ephemeral');
    expect(String(ack.payload?.['text'])).toContain('sweep has no option "--sources"');
    expect(String(ack.payload?.['text'])).toContain('/evidence sweep --controls <controls>');
    expect(fake.responses.get(envelopeId)).toBeUndefined();
  });

  it('an unknown Slack user is refused, whatever the command', async () => {
    const { ack } = await fake.slashCommand('U0STRANGER', 'status A.6.*');
    expect(String(ack.payload?.['text'])).toContain('U0STRANGER is not mapped to an evidence-hub role');
  });

  it("a viewer's sweep is refused: no workflow started, no operator action logged", async () => {
    const { envelopeId } = await fake.slashCommand(viewer, 'sweep --controls A.6.*');
    const reply = await fake.responseTo(envelopeId);
    expect(reply.text).toContain('slack:U0VIEWER has the viewer role: starting a sweep needs operator or admin');
    expect(sweepIdIn(reply)).toBe('');
    expect((await pendingOperatorActions(fx.hub.store)).map((a) => a.by)).not.toContain('slack:U0VIEWER');
  });

  it("an operator's sweep runs on the worker and the sealed manifest names slack:U0OPERATOR", async () => {
    const { envelopeId } = await fake.slashCommand(operator, 'sweep --controls A.6.*');
    const reply = await fake.responseTo(envelopeId);
    const id = sweepIdIn(reply);
    expect(id).toMatch(/^sweep-/);
    expect(reply.text).toContain(`${publicUrl}/sweeps/${id}|`);
    const handle = env.client.workflow.getHandle(id);
    expect((await handle.describe()).taskQueue).toBe(fx.hub.config.temporal.taskQueue);
    const result = (await handle.result()) as SweepResult;
    // Scoped as `sweep --controls A.6.*` scopes: the folder source feeds A.6 (the fixture's only source).
    expect(result.sources.map((s) => [s.source, s.status])).toEqual([['docs', 'ok']]);
    const manifest = await readManifest(fx.hub.store, result.bundle.sequence);
    expect(manifest?.operatorActions?.find((a) => a.action === 'sweep-started' && a.workflowId === id)).toMatchObject({
      by: 'slack:U0OPERATOR',
      role: 'operator',
      controls: 'A.6.*',
    });
  });

  it("the stale alert's Re-collect button starts a sweep scoped to that control for an operator", async () => {
    // A real stale alert: the hub's own evaluation a little over a year on, when A.6.2.6's evidence has
    // gone stale, planned by the alert engine under the policy serve's config gives (console.slack is set).
    const later = new Date(Date.now() + 400 * 86_400_000);
    const { results } = await fx.options.sources.status({ controls: 'A.6.*', asOf: later.toISOString() });
    const alerts = alertsConfigSchema.parse({ slack: { token: { env: 'UNUSED' }, defaultChannel: '#compliance' } });
    const policy = alertPolicyWithConsole({ alerts, console: fx.hub.config.console });
    const { messages } = planAlerts(emptyAlertState(), results, later, policy);
    const stale = messages.find((m) => m.items.some((i) => i.control === 'A.6.2.6' && i.to === 'stale'));
    expect(blockProblems(stale!.blocks)).toEqual([]);
    const actions = stale!.blocks.find((b) => b.type === 'actions');
    const button = actions?.type === 'actions' ? actions.elements[0]! : undefined;
    expect(button?.value).toBe('A.6.2.6');

    const refused = await fake.pressButton(viewer, button!.action_id, button!.value);
    expect((await fake.responseTo(refused.envelopeId)).text).toContain('starting a sweep needs operator or admin');

    const pressed = await fake.pressButton(operator, button!.action_id, button!.value);
    expect(pressed.ack.payload ?? {}).toEqual({});
    const reply = await fake.responseTo(pressed.envelopeId);
    expect(reply.replace_original).toBe(false);
    expect(reply.text).toContain('started for controls `A.6.2.6`');
    const result = (await env.client.workflow.getHandle(sweepIdIn(reply)).result()) as SweepResult;
    const manifest = await readManifest(fx.hub.store, result.bundle.sequence);
    expect(
      manifest?.operatorActions?.find((a) => a.action === 'sweep-started' && a.workflowId === sweepIdIn(reply)),
    ).toMatchObject({
      action: 'sweep-started',
      by: 'slack:U0OPERATOR',
      controls: 'A.6.2.6',
    });
  });
});

describe('a reply without a response_url', () => {
  it('goes out as chat.postEphemeral with the bot token, to the person who pressed', async () => {
    process.env['EH_TEST_SLACK_BOT_TOKEN'] = botToken;
    const withBot = await startSlackApp(
      { ...fx.hub.config.console!.slack!, botToken: { env: 'EH_TEST_SLACK_BOT_TOKEN' } },
      { ...fx.options },
      fx.hub.config.baseDir,
    );
    try {
      await fake.pressButton(viewer, 'evidence_recollect', 'A.6.2.6', false);
      const sent = await fake.ephemeral();
      expect(sent).toMatchObject({ channel: 'C0FAKE', user: viewer });
      expect(String(sent['text'])).toContain('starting a sweep needs operator or admin');
    } finally {
      await withBot.stop();
    }
  });
});

describe('evidence-hub serve with console.slack', () => {
  it('serve connects the Slack app, answers /evidence, and closes the connection on SIGTERM (exit 0)', async () => {
    // The in-process app steps aside: from here the serve process holds the connection.
    await slack.stop();
    const before = fake.connections;
    serve = spawnCli(['serve', '--config', fx.hub.config.file, '--port', '0', '--host', '127.0.0.1'], {
      EH_TEST_SLACK_APP_TOKEN: appToken,
      EH_TEST_OPERATOR_TOKEN: tokens.operator,
    });
    await waitFor(
      'serve to connect its Slack app',
      async () => (fake.connections > before && fake.connected ? true : undefined),
      120_000,
      100,
    );
    const { envelopeId } = await fake.slashCommand(viewer, 'status A.3.*');
    const reply = await fake.responseTo(envelopeId);
    expect(reply.text).toMatch(/^Matching A\.3\.\*: \d+ Annex A controls?: /);
    expect(allText(reply)).toContain(`${publicUrl}/controls/A.3.2|`);
    serve.child.kill('SIGTERM');
    await fake.disconnected();
    expect(await serve.exited).toBe(0);
    expect(serve.output()).not.toContain(appToken);
  });
});
