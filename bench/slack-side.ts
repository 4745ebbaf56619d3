/**
 * Slack's side of bench/slack-ack.ts, in a process of its own (forked, spoken to over IPC): the fake Web API and the clicks that
 * are sent to the bot all at once. Slack is another machine; here it is at least another process,
 * so the bench times the bot and not its own fifty fetches and the fake's answers.
 */
import { startFakeSlack } from '../test/support/fake-slack.js';

export interface SlackSideRequest {
  headers: Record<string, string>;
  body: string;
}

export type SlackSideMessage =
  | { type: 'fire'; url: string; requests: SlackSideRequest[] }
  | { type: 'count'; method: string }
  | { type: 'close' };

/** The first message: who is in which user group. */
export interface SlackSideStart {
  type: 'start';
  usergroups: Record<string, string[]>;
}

export type SlackSideReply =
  | { type: 'ready'; apiUrl: string; responseUrl: string }
  | { type: 'fired'; answers: { status: number; ms: number }[] }
  | { type: 'counted'; n: number }
  | { type: 'closed' };

const reply = (m: SlackSideReply): void => { process.send!(m); };
const start = await new Promise<SlackSideStart>((resolve) => process.once('message', (m: SlackSideStart) => resolve(m)));
const fake = await startFakeSlack({ usergroups: start.usergroups });

process.on('message', (m: SlackSideMessage) => {
  void (async () => {
    if (m.type === 'fire') {
      // fetch loads on first use: load it (one request the bot refuses as unsigned) before the clock starts.
      await (await fetch(m.url, { method: 'POST', body: '' })).text();
      const answers = await Promise.all(m.requests.map(async (r) => {
        const started = performance.now();
        const res = await fetch(m.url, { method: 'POST', headers: r.headers, body: r.body });
        await res.text();
        return { status: res.status, ms: performance.now() - started };
      }));
      reply({ type: 'fired', answers });
    } else if (m.type === 'count') {
      reply({ type: 'counted', n: fake.accepted(m.method).length });
    } else {
      await fake.close();
      reply({ type: 'closed' });
      process.disconnect();
    }
  })();
});
reply({ type: 'ready', apiUrl: fake.apiUrl, responseUrl: fake.responseUrl() });
