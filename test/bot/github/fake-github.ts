import { createHash, createHmac, createVerify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../support/read-body.js';

/**
 * A local stand-in for the GitHub REST API: just the endpoints the Vigil App calls, with GitHub's
 * shapes (base64 blobs with line breaks, Link-header pagination, installation tokens obtained with
 * an RS256 JWT). It records every call so tests assert on what the App sent.
 */
export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | undefined;
}

export interface CheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations: Annotation[];
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  title?: string;
}

export interface IssueComment {
  id: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
}

export interface FakeRepo {
  owner: string;
  name: string;
  /** commit sha -> the files of that commit (path -> content). */
  commits: Map<string, Record<string, string>>;
  /** pull number -> changed file paths. */
  pullFiles: Map<number, string[]>;
  /** issue number -> comments. */
  comments: Map<number, IssueComment[]>;
  checkRuns: CheckRun[];
  /** Branch -> commit sha (set one to give the repository a head). */
  refs: Map<string, string>;
  defaultBranch: string;
  /** Commits the API made (POST git/commits): message and parents. */
  madeCommits: Map<string, { message: string; parents: string[]; tree: string }>;
  pulls: FakePull[];
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  html_url: string;
}

export const INSTALLATION_TOKEN = 'ghs_fakeInstallationToken';

function gitSha(type: string, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** Verifies the App's JWT as GitHub does: RS256 with the App's public key, issuer = App id, not expired. */
function verifyJwt(token: string, publicKey: KeyObject, appId: string): boolean {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  const ok = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(publicKey, Buffer.from(signature, 'base64url'));
  if (!ok) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
  return String(claims.iss) === appId && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
}

export async function startFakeGitHub(options: { appId: string; publicKey: KeyObject }) {
  const calls: RecordedCall[] = [];
  const repos = new Map<string, FakeRepo>();
  const blobs = new Map<string, Buffer>();
  let nextId = 1000;
  let url = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const page = (res: ServerResponse, req: URL, items: unknown[]): void => {
    const perPage = Number(req.searchParams.get('per_page') ?? 30);
    const n = Number(req.searchParams.get('page') ?? 1);
    const slice = items.slice((n - 1) * perPage, n * perPage);
    const headers: Record<string, string> = {};
    if (n * perPage < items.length) {
      const next = new URL(req.toString());
      next.searchParams.set('page', String(n + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    send(res, 200, slice, headers);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', url);
    const raw = await readBody(req);
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    const authorization = req.headers.authorization;
    calls.push({ method: req.method ?? '', path: u.pathname, query: u.searchParams, body, authorization });
    const method = req.method ?? 'GET';
    const p = u.pathname;

    let m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(p);
    if (m && method === 'POST') {
      const jwt = authorization?.replace(/^bearer /i, '') ?? '';
      if (!verifyJwt(jwt, options.publicKey, options.appId)) return send(res, 401, { message: 'A JSON web token could not be decoded' });
      return send(res, 201, { token: INSTALLATION_TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: 'write', contents: 'read', pull_requests: 'write' }, repository_selection: 'all' });
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(p);
    if (m && method === 'GET') {
      const jwt = authorization?.replace(/^bearer /i, '') ?? '';
      if (!verifyJwt(jwt, options.publicKey, options.appId)) return send(res, 401, { message: 'A JSON web token could not be decoded' });
      if (!repos.has(`${m[1]}/${m[2]}`)) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { id: 4242, account: { login: m[1] }, repository_selection: 'selected' });
    }
    if (authorization !== `token ${INSTALLATION_TOKEN}`) return send(res, 401, { message: 'Bad credentials' });

    m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(p);
    const repo = m ? repos.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !repo) return send(res, 404, { message: 'Not Found' });
    // Octokit escapes the '/' inside {ref} and {path} (heads%2Fmain), as GitHub accepts.
    const rest = decodeURIComponent(m[3] ?? '');

    if (rest === '' && method === 'GET') return send(res, 200, { full_name: `${repo.owner}/${repo.name}`, default_branch: repo.defaultBranch });
    if ((m = /^\/git\/ref\/heads\/(.+)$/.exec(rest)) && method === 'GET') {
      const sha = repo.refs.get(m[1] as string);
      if (!sha) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } });
    }
    if ((m = /^\/contents\/(.+)$/.exec(rest)) && method === 'GET') {
      const sha = repo.refs.get(u.searchParams.get('ref') ?? repo.defaultBranch) ?? u.searchParams.get('ref') ?? '';
      const content = repo.commits.get(sha)?.[m[1] as string];
      if (content === undefined) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { type: 'file', path: m[1], content: Buffer.from(content).toString('base64'), encoding: 'base64' });
    }
    if (rest === '/git/trees' && method === 'POST') {
      const b = body as { base_tree?: string; tree: { path: string; mode: string; type: string; content?: string }[] };
      const files = { ...(b.base_tree ? repo.commits.get(b.base_tree) ?? {} : {}) };
      for (const entry of b.tree) {
        if (entry.type !== 'blob' || typeof entry.content !== 'string') return send(res, 422, { message: 'fake GitHub takes inline blob content only' });
        files[entry.path] = entry.content;
      }
      const sha = gitSha('tree', Buffer.from(JSON.stringify(Object.entries(files).sort())));
      repo.commits.set(sha, files);
      return send(res, 201, { sha, url: `${url}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`, truncated: false });
    }
    if (rest === '/git/commits' && method === 'POST') {
      const b = body as { message: string; tree: string; parents: string[] };
      const files = repo.commits.get(b.tree);
      if (!files) return send(res, 422, { message: 'Tree SHA does not exist' });
      const sha = gitSha('commit', Buffer.from(`${b.tree}\n${b.parents.join(',')}\n${b.message}\n${nextId++}`));
      repo.commits.set(sha, files);
      repo.madeCommits.set(sha, { message: b.message, parents: b.parents, tree: b.tree });
      return send(res, 201, { sha, message: b.message, tree: { sha: b.tree }, parents: b.parents.map((p) => ({ sha: p })) });
    }
    if (rest === '/git/refs' && method === 'POST') {
      const b = body as { ref: string; sha: string };
      const branch = b.ref.replace(/^refs\/heads\//, '');
      if (repo.refs.has(branch)) return send(res, 422, { message: 'Reference already exists' });
      if (!repo.commits.has(b.sha)) return send(res, 422, { message: 'Object does not exist' });
      repo.refs.set(branch, b.sha);
      return send(res, 201, { ref: b.ref, object: { sha: b.sha, type: 'commit' } });
    }
    if ((m = /^\/git\/refs\/heads\/(.+)$/.exec(rest)) && method === 'PATCH') {
      const branch = m[1] as string;
      if (!repo.refs.has(branch)) return send(res, 422, { message: 'Reference does not exist' });
      repo.refs.set(branch, (body as { sha: string }).sha);
      return send(res, 200, { ref: `refs/heads/${branch}`, object: { sha: (body as { sha: string }).sha, type: 'commit' } });
    }
    if (rest === '/pulls' && method === 'GET') {
      const head = u.searchParams.get('head')?.replace(/^[^:]+:/, '');
      const state = u.searchParams.get('state') ?? 'open';
      return page(res, u, repo.pulls.filter((pr) => (head === undefined || pr.head === head) && (state === 'all' || pr.state === state)));
    }
    if (rest === '/pulls' && method === 'POST') {
      const b = body as { title: string; head: string; base: string; body?: string };
      if (!repo.refs.has(b.head)) return send(res, 422, { message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] });
      if (repo.pulls.some((pr) => pr.head === b.head && pr.state === 'open')) return send(res, 422, { message: `A pull request already exists for ${repo.owner}:${b.head}.` });
      const number = repo.pulls.length + 1;
      const pull: FakePull = { number, title: b.title, body: b.body ?? '', head: b.head, base: b.base, state: 'open', html_url: `https://github.example/${repo.owner}/${repo.name}/pull/${number}` };
      repo.pulls.push(pull);
      return send(res, 201, pull);
    }
    if ((m = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest)) && method === 'GET') {
      const files = repo.commits.get(m[1] as string);
      if (!files) return send(res, 404, { message: 'Not Found' });
      const dirs = new Set<string>();
      const tree: unknown[] = [];
      for (const [path, content] of Object.entries(files).sort()) {
        const parts = path.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
        const bytes = Buffer.from(content, 'utf8');
        const sha = gitSha('blob', bytes);
        blobs.set(sha, bytes);
        tree.push({ path, mode: '100644', type: 'blob', sha, size: bytes.length, url: `${url}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` });
      }
      for (const dir of dirs) tree.push({ path: dir, mode: '040000', type: 'tree', sha: gitSha('tree', Buffer.from(dir)) });
      return send(res, 200, { sha: m[1], url: u.toString(), tree, truncated: false });
    }
    if ((m = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest)) && method === 'GET') {
      const bytes = blobs.get(m[1] as string);
      if (!bytes) return send(res, 404, { message: 'Not Found' });
      // GitHub wraps base64 at 60 characters.
      const content = (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n';
      return send(res, 200, { sha: m[1], node_id: 'B', size: bytes.length, url: u.toString(), content, encoding: 'base64' });
    }
    if ((m = /^\/pulls\/(\d+)\/files$/.exec(rest)) && method === 'GET') {
      const files = repo.pullFiles.get(Number(m[1])) ?? [];
      return page(res, u, files.map((filename) => ({ sha: gitSha('blob', Buffer.from(filename)), filename, status: 'modified', additions: 1, deletions: 0, changes: 1 })));
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const n = Number(m[1]);
      const list = repo.comments.get(n) ?? [];
      repo.comments.set(n, list);
      if (method === 'GET') return page(res, u, list);
      if (method === 'POST') {
        const comment: IssueComment = { id: nextId++, body: (body as { body: string }).body, user: { login: 'vigil[bot]', type: 'Bot' } };
        list.push(comment);
        return send(res, 201, comment);
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const comment = [...repo.comments.values()].flat().find((c) => c.id === Number(m?.[1]));
      if (!comment) return send(res, 404, { message: 'Not Found' });
      comment.body = (body as { body: string }).body;
      return send(res, 200, comment);
    }
    if (rest === '/check-runs' && method === 'POST') {
      const b = body as { name: string; head_sha: string; status?: string; conclusion?: string; output?: CheckRun['output'] & { annotations?: Annotation[] } };
      const annotations = b.output?.annotations ?? [];
      if (annotations.length > 50) return send(res, 422, { message: 'Only 50 annotations are allowed per request' });
      const run: CheckRun = { id: nextId++, name: b.name, head_sha: b.head_sha, status: b.conclusion ? 'completed' : b.status ?? 'queued', conclusion: b.conclusion ?? null, output: { ...b.output }, annotations: [...annotations] };
      repo.checkRuns.push(run);
      return send(res, 201, { ...run, annotations: undefined });
    }
    if ((m = /^\/check-runs\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const run = repo.checkRuns.find((r) => r.id === Number(m?.[1]));
      if (!run) return send(res, 404, { message: 'Not Found' });
      const b = body as { status?: string; conclusion?: string; output?: CheckRun['output'] & { annotations?: Annotation[] } };
      const annotations = b.output?.annotations ?? [];
      if (annotations.length > 50) return send(res, 422, { message: 'Only 50 annotations are allowed per request' });
      if (b.output) {
        if (!b.output.title || !b.output.summary) return send(res, 422, { message: 'output needs title and summary' });
        const { annotations: _ignored, ...rest } = b.output;
        run.output = rest;
      }
      run.annotations.push(...annotations);
      if (b.conclusion) {
        run.conclusion = b.conclusion;
        run.status = 'completed';
      } else if (b.status) run.status = b.status;
      return send(res, 200, { ...run, annotations: undefined });
    }
    return send(res, 404, { message: `fake GitHub has no ${method} ${p}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    calls,
    addRepo(owner: string, name: string): FakeRepo {
      const repo: FakeRepo = { owner, name, commits: new Map(), pullFiles: new Map(), comments: new Map(), checkRuns: [], refs: new Map(), defaultBranch: 'main', madeCommits: new Map(), pulls: [] };
      repos.set(`${owner}/${name}`, repo);
      return repo;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Posts a webhook delivery signed exactly as GitHub signs it. */
export async function deliver(
  webhookUrl: string,
  event: string,
  payload: unknown,
  options: { secret: string; delivery?: string; signature?: string | null },
): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? crypto.randomUUID(),
    'user-agent': 'GitHub-Hookshot/fake',
  };
  const signature = options.signature === undefined ? `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}` : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const res = await fetch(webhookUrl, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}
