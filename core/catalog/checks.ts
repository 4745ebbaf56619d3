import { credentialEnvProblem } from './credential-env.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { indexCatalog, policyOf, type Catalog } from './catalog.js';
import { expandPattern, pathProblem } from './paths.js';
import { DEFAULT_ACTIVE_RECIPIENT_LIMIT, type AnyDocument, type CatalogDocument, type Kind, type PathSegment } from './types.js';

/** Checks that need more than one document: references, uniqueness, dates, limits. */
type Check = (catalog: Catalog, report: Reporter, options: CheckOptions) => void;

/** What the checks take from the configuration; callers that pass nothing get the defaults. */
export interface CheckOptions {
  /** VIGIL_SOURCE_ENV_PREFIX: the only prefix a source's apiKeyEnv may have. */
  sourceEnvPrefix?: string;
}

interface Reporter {
  error(doc: AnyDocument, path: readonly PathSegment[], message: string, key?: boolean): void;
  warning(doc: AnyDocument, path: readonly PathSegment[], message: string, key?: boolean): void;
}

function at(doc: AnyDocument): string {
  return `${doc.source.file}:${doc.source.position.line}`;
}

const uniqueIds: Check = (catalog, report) => {
  const seen = new Map<string, AnyDocument>();
  for (const doc of catalog.documents) {
    const key = `${doc.kind}/${doc.metadata.id}`;
    const first = seen.get(key);
    if (first) report.error(doc, ['metadata', 'id'], `duplicate id: ${key} is already defined at ${at(first)}`);
    else seen.set(key, doc);
  }
};

const recipientsUnique: Check = (catalog, report) => {
  const names = new Map<string, CatalogDocument<'Recipient'>>();
  const ids = new Map<number, CatalogDocument<'Recipient'>>();
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Recipient') continue;
    const name = doc.spec.name.toLowerCase();
    const sameName = names.get(name);
    if (sameName) {
      report.error(doc, ['spec', 'name'], `recipient name "${doc.spec.name}" is already used by Recipient/${sameName.metadata.id} ("${sameName.spec.name}") at ${at(sameName)}; names are unique ignoring case`);
    } else names.set(name, doc);
    const sameId = ids.get(doc.spec.watermarkId);
    if (sameId) {
      report.error(doc, ['spec', 'watermarkId'], `watermarkId ${doc.spec.watermarkId} is already held by Recipient/${sameId.metadata.id} at ${at(sameId)}; watermark IDs are never shared or reused`);
    } else ids.set(doc.spec.watermarkId, doc);
  }
};

function checkRef(
  catalog: Catalog, report: Reporter, doc: AnyDocument, path: readonly PathSegment[], target: Kind, id: string,
): CatalogDocument | undefined {
  const found = catalog.byKind[target].get(id);
  if (!found) report.error(doc, path, `refers to ${target}/${id}, which is not in the catalog`);
  return found;
}

const references: Check = (catalog, report) => {
  for (const doc of catalog.documents) {
    if (doc.kind === 'MonitoringJob') {
      checkRef(catalog, report, doc, ['spec', 'content'], 'Content', doc.spec.content);
      doc.spec.sites?.forEach((site, i) => checkRef(catalog, report, doc, ['spec', 'sites', i], 'Site', site));
    } else if (doc.kind === 'EmbedJob') {
      if (doc.spec.content) checkRef(catalog, report, doc, ['spec', 'content'], 'Content', doc.spec.content);
      doc.spec.recipients.forEach((id, i) => {
        const recipient = checkRef(catalog, report, doc, ['spec', 'recipients', i], 'Recipient', id) as CatalogDocument<'Recipient'> | undefined;
        if (recipient?.spec.retired) report.error(doc, ['spec', 'recipients', i], `Recipient/${id} is retired and gets no new copies: remove it from the list`);
      });
    }
  }
};

/** Days since the epoch of a yyyy-MM-dd date that the schema already proved real. */
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

const dates: Check = (catalog, report) => {
  for (const doc of catalog.documents) {
    if (doc.kind !== 'MonitoringJob') continue;
    const content = catalog.byKind.Content.get(doc.spec.content);
    const start = doc.spec.start ?? content?.spec.releaseDate;
    if (doc.spec.stop && start && dayNumber(doc.spec.stop) < dayNumber(start)) {
      report.error(doc, ['spec', 'stop'], `stop ${doc.spec.stop} is before the start ${start}: monitoring would never run`);
    }
  }
};

const contentShape: Check = (catalog, report) => {
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Content' || doc.spec.type !== 'film') continue;
    if (doc.spec.season !== undefined) report.error(doc, ['spec', 'season'], 'a film has no season: remove the field, or set type: season', true);
    if (doc.spec.episodes !== undefined) report.error(doc, ['spec', 'episodes'], 'a film has no episodes: remove the field, or set type: season', true);
  }
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Content') continue;
    doc.spec.referenceMedia?.forEach((media, i) => {
      if (media.episode !== undefined && doc.spec.episodes !== undefined && media.episode > doc.spec.episodes) {
        report.error(doc, ['spec', 'referenceMedia', i, 'episode'], `episode ${media.episode} is beyond the season's ${doc.spec.episodes} episodes`);
      }
    });
  }
};

const takedownVsDetection: Check = (catalog, report) => {
  for (const doc of catalog.documents) {
    if (doc.kind !== 'MonitoringJob' || doc.spec.takedown !== 'automatic') continue;
    const content = catalog.byKind.Content.get(doc.spec.content);
    if (content?.spec.watermarked) {
      report.warning(doc, ['spec', 'takedown'], `Content/${content.metadata.id} is watermarked and takedown is automatic: a takedown removes the copy that watermark detection needs, so each finding's takedown waits until its detection has ended (set detection: automatic so it does not wait for a person)`);
    }
  }
};

const sites: Check = (catalog, report) => {
  const owners = new Map<string, CatalogDocument<'Site'>>();
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Site') continue;
    doc.spec.domains.forEach((domain, i) => {
      const owner = owners.get(domain);
      if (owner) report.error(doc, ['spec', 'domains', i], `domain ${domain} is already listed by Site/${owner.metadata.id} at ${at(owner)}`);
      else owners.set(domain, doc);
    });
  }
};

const sourceCredentials: Check = (catalog, report, options) => {
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Site') continue;
    doc.spec.sources?.forEach((source, i) => {
      const problem = source.apiKeyEnv === undefined ? undefined : credentialEnvProblem(source.apiKeyEnv, options.sourceEnvPrefix);
      if (problem) report.error(doc, ['spec', 'sources', i, 'apiKeyEnv'], problem);
    });
  }
};

const policies: Check = (catalog, report) => {
  const all = catalog.documents.filter((d): d is CatalogDocument<'Policy'> => d.kind === 'Policy');
  for (const extra of all.slice(1)) {
    report.error(extra, ['kind'], `only one Policy is allowed; Policy/${all[0]!.metadata.id} is at ${at(all[0]!)}`);
  }
  // 17 U.S.C. 512(c)(3) wants the complaining party's address: notices without one are refused when sent.
  const sender = all[0]?.spec.noticeSender;
  if (sender && !sender.address?.trim()) {
    report.warning(all[0]!, ['spec', 'noticeSender'], 'noticeSender has no address: a takedown notice must carry the postal address of the complaining party (17 U.S.C. 512(c)(3)), so notices would be refused; add address');
  }
};

const recipientLimit: Check = (catalog, report) => {
  const limit = [...catalog.byKind.Policy.values()][0]?.spec.limits?.activeRecipients ?? DEFAULT_ACTIVE_RECIPIENT_LIMIT;
  const active = catalog.documents.filter((d): d is CatalogDocument<'Recipient'> => d.kind === 'Recipient' && !d.spec.retired);
  if (active.length > limit) {
    const over = active[limit]!;
    report.error(over, ['metadata', 'id'], `${active.length} active recipients exceed the plan limit of ${limit}: retire some, or raise Policy spec.limits.activeRecipients`);
  }
};

const visibleWatermark: Check = (catalog, report) => {
  for (const doc of catalog.documents) {
    if (doc.kind !== 'EmbedJob' || !doc.spec.visible) continue;
    const { interval, disappear } = doc.spec.visible;
    if (disappear && interval && seconds(disappear) >= seconds(interval) && seconds(disappear) !== 0) {
      report.warning(doc, ['spec', 'visible', 'disappear'], `disappear ${disappear} is not shorter than interval ${interval}, so it is ignored`);
    }
  }
};

const INPUT_FIX = 'give a path relative to where vigil embed runs, or allow media outside it with Policy spec.paths.allowExternalInputs: true';
const OUTPUT_FIX = 'outputs are always written inside the output directory (vigil embed --out): write a relative pattern without ".."';

function extensionOf(file: string): { basename: string; ext: string } {
  const name = file.replace(/\\/g, '/').split('/').pop() ?? file;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? { basename: name.slice(0, dot), ext: name.slice(dot + 1) } : { basename: name, ext: '' };
}

const embedPaths: Check = (catalog, report) => {
  const allowOutside = policyOf(catalog)?.spec.paths?.allowExternalInputs === true;
  for (const doc of catalog.documents) {
    if (doc.kind !== 'EmbedJob') continue;
    const { input, output, visible } = doc.spec;
    const inputProblem = pathProblem(input, { allowOutside });
    if (inputProblem) report.error(doc, ['spec', 'input'], `spec.input ${JSON.stringify(input)} ${inputProblem}: ${INPUT_FIX}`);
    const imageProblem = visible && pathProblem(visible.image, { allowOutside });
    if (visible && imageProblem) report.error(doc, ['spec', 'visible', 'image'], `spec.visible.image ${JSON.stringify(visible.image)} ${imageProblem}: ${INPUT_FIX}`);
    const outputProblem = pathProblem(output, { allowOutside: false });
    if (outputProblem) {
      report.error(doc, ['spec', 'output'], `spec.output ${JSON.stringify(output)} ${outputProblem}: ${OUTPUT_FIX}`);
      continue;
    }
    // Recipient names fill the pattern, and a name may be made of dots.
    const { basename, ext } = extensionOf(input);
    doc.spec.recipients.forEach((id, i) => {
      const recipient = catalog.byKind.Recipient.get(id);
      if (!recipient) return;
      const expanded = expandPattern(output, { basename, recipient: recipient.spec.name, watermarkId: recipient.spec.watermarkId, ext });
      const problem = pathProblem(expanded, { allowOutside: false });
      if (problem) report.error(doc, ['spec', 'recipients', i], `Recipient/${id} is named ${JSON.stringify(recipient.spec.name)}, so spec.output becomes ${JSON.stringify(expanded)}, which ${problem}: rename the recipient or change the pattern`);
    });
  }
};

export function seconds(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number) as [number, number, number];
  return h * 3600 + m * 60 + s;
}

/**
 * Works of one creator (names compared ignoring case) are reported together: two Contents giving
 * the creator different addresses or Slack users would send one report to one of them, silently.
 */
const creators: Check = (catalog, report) => {
  const first = new Map<string, Partial<Record<'email' | 'slackUser', CatalogDocument<'Content'>>>>();
  for (const doc of catalog.documents) {
    if (doc.kind !== 'Content' || !doc.spec.creator) continue;
    const creator = doc.spec.creator;
    const seen = first.get(creator.name.toLowerCase()) ?? {};
    for (const field of ['email', 'slackUser'] as const) {
      const value = creator[field];
      if (value === undefined) continue;
      const earlier = seen[field];
      if (!earlier) seen[field] = doc;
      else if (earlier.spec.creator![field] !== value) {
        report.warning(doc, ['spec', 'creator', field], `creator ${JSON.stringify(creator.name)} has ${field} ${value} here but ${earlier.spec.creator![field]} in Content/${earlier.metadata.id} at ${at(earlier)}; their report uses one: give every work of the creator the same ${field}`);
      }
    }
    first.set(creator.name.toLowerCase(), seen);
  }
};

const CHECKS: readonly Check[] = [uniqueIds, recipientsUnique, references, dates, contentShape, takedownVsDetection, sites, sourceCredentials, policies, recipientLimit, visibleWatermark, embedPaths, creators];

export function checkCatalog(documents: AnyDocument[], options: CheckOptions = {}): { catalog: Catalog; diagnostics: Diagnostic[] } {
  const catalog = indexCatalog(documents);
  const diagnostics: Diagnostic[] = [];
  const push = (severity: 'error' | 'warning') => (doc: AnyDocument, path: readonly PathSegment[], message: string, key = false) => {
    diagnostics.push(diagnostic(severity, doc.source.file, doc.source.locate(path, key), message, { kind: doc.kind, id: doc.metadata.id }));
  };
  const report: Reporter = { error: push('error'), warning: push('warning') };
  for (const check of CHECKS) check(catalog, report, options);
  return { catalog, diagnostics };
}
