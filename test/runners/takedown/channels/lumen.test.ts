import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLumenChannel, lumenNoticeId } from '../../../../runners/takedown/channels/lumen.js';
import type { ChannelContext } from '../../../../runners/takedown/channels/types.js';
import { composeNotice, noticeSender } from '../../../../runners/takedown/notice.js';
import { startFakeLumen, type FakeLumen } from '../../../support/fake-lumen.js';
import { contents, finding, policy, signedOn } from '../notice-fixtures.js';

const TOKEN = 'lumen-token-5d1f0b9a';
let lumen: FakeLumen;

beforeEach(async () => { lumen = await startFakeLumen(TOKEN); });
afterEach(async () => { await lumen.close(); });

const tide = finding('https://leaks.example.com/watch/tide-line-2x01');
const harbor = finding('https://leaks.example.com/dl/harbor-lights.mkv', { contentId: 'harbor-lights' });
const both = composeNotice({ to: 'abuse@leaks.example.com', policy: policy(), contents, findings: [tide, harbor], date: signedOn });
const ctx: ChannelContext = { sender: noticeSender(policy()), now: () => new Date('2026-12-02T09:00:00Z'), findings: [tide, harbor] };

describe('the Lumen channel', () => {
  it('posts the notice in Lumen\'s shape, each work with its own infringing URLs, and keeps the id Lumen gives', async () => {
    const receipt = await createLumenChannel({ url: lumen.url, token: TOKEN }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'sent', channel: 'lumen', id: '1000', at: new Date('2026-12-02T09:00:00Z') });
    expect(lumen.requests).toHaveLength(1);
    const [request] = lumen.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/notices');
    expect(request?.contentType).toBe('application/json');
    expect(request?.body).toMatchObject({
      authentication_token: TOKEN,
      notice: {
        title: both.subject,
        type: 'DMCA',
        date_sent: '2026-12-02T09:00:00.000Z',
        principal_name: 'Harbor Pictures Anti-Piracy',
        sender_name: 'Dana Reyes',
        recipient_name: 'leaks.example.com',
        language: 'en',
        works_attributes: [
          { description: 'Harbor Lights', copyrighted_urls_attributes: [], infringing_urls_attributes: [{ url: 'https://leaks.example.com/dl/harbor-lights.mkv' }] },
          { description: 'Tide Line (season 2)', copyrighted_urls_attributes: [], infringing_urls_attributes: [{ url: 'https://leaks.example.com/watch/tide-line-2x01' }] },
        ],
        entity_notice_roles_attributes: [
          { name: 'principal', entity_attributes: { name: 'Harbor Pictures Anti-Piracy', kind: 'organization' } },
          { name: 'sender', entity_attributes: { name: 'Dana Reyes', kind: 'individual' } },
          { name: 'recipient', entity_attributes: { name: 'leaks.example.com', kind: 'organization' } },
        ],
      },
    });
  });

  it('takes the id from the Location header when the answer has no body', async () => {
    lumen.answer = { kind: 'created', body: 'empty' };
    const receipt = await createLumenChannel({ url: `${lumen.url}/`, token: TOKEN }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'sent', id: '1000' });
    expect(lumenNoticeId('', 'https://lumendatabase.org/notices/12345')).toBe('12345');
    expect(lumenNoticeId('{"notice":{"id":77}}', null)).toBe('77');
    expect(lumenNoticeId('<html>', null)).toBeUndefined();
  });

  it('reports a refused token (401) as final, and never repeats the token it sent', async () => {
    const receipt = await createLumenChannel({ url: lumen.url, token: 'wrong-token-31c7aa' }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'failed', channel: 'lumen', retryable: false });
    expect(receipt.status === 'failed' && receipt.reason).toMatch(/HTTP 401.*VIGIL_LUMEN_TOKEN/);
    expect(JSON.stringify(receipt)).not.toContain('wrong-token-31c7aa');
  });

  it.each([500, 502, 503, 429])('reports HTTP %i as worth retrying, with what the server said', async (status) => {
    lumen.answer = { kind: 'status', status, body: 'upstream busy' };
    const receipt = await createLumenChannel({ url: lumen.url, token: TOKEN }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: true });
    expect(receipt.status === 'failed' && receipt.reason).toContain(`HTTP ${status}: upstream busy`);
  });

  it('masks the token when a failing server echoes it back', async () => {
    lumen.answer = { kind: 'status', status: 500, body: `error: bad request {"authentication_token":"${TOKEN}"}` };
    const receipt = await createLumenChannel({ url: lumen.url, token: TOKEN }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: true });
    expect(JSON.stringify(receipt)).not.toContain(TOKEN);
  });

  it('reports a notice Lumen rejects (422) as final with its errors', async () => {
    lumen.answer = { kind: 'status', status: 422, body: '{"works":["can\'t be blank"]}' };
    const receipt = await createLumenChannel({ url: lumen.url, token: TOKEN }).send(both, ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: false });
    expect(receipt.status === 'failed' && receipt.reason).toContain("can't be blank");
  });

  it('reports an API that cannot be reached as worth retrying', async () => {
    const url = lumen.url;
    await lumen.close();
    const receipt = await createLumenChannel({ url, token: TOKEN }).send(both, ctx);
    lumen = await startFakeLumen(TOKEN);
    expect(receipt).toMatchObject({ status: 'failed', channel: 'lumen', retryable: true });
  });

  it('lists every URL under every work when a two-work notice comes without its findings', async () => {
    await createLumenChannel({ url: lumen.url, token: TOKEN }).send(both, { sender: ctx.sender });
    const body = lumen.requests[0]?.body as { notice: { works_attributes: Array<{ infringing_urls_attributes: unknown[] }> } };
    expect(body.notice.works_attributes.map((work) => work.infringing_urls_attributes.length)).toEqual([2, 2]);
  });
});
