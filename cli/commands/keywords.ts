import { VigilError } from '../../core/errors.js';
import type { CatalogDocument } from '../../core/catalog/types.js';
import { deriveKeywords, type KeywordTerm } from '../../runners/monitor/keywords.js';
import { formatOf, parse } from '../args.js';
import { catalogDir, loadValidCatalog } from '../catalog-input.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import type { LoadedCatalog } from '../../core/catalog/load.js';

export const usage = `vigil keywords CONTENT [--catalog DIR] [--format text|json]
  Show the weighted keyword list Vigil derives from a Content entry: names, episode notations,
  year, piracy vocabulary (positive) and official-service words (negative), after the catalog's
  spec.keywords add/remove. Reads the catalog in DIR (default ./catalog); touches no database.`;

export function contentOf(loaded: LoadedCatalog, id: string): CatalogDocument<'Content'> {
  const doc = loaded.catalog.byKind.Content.get(id);
  if (!doc) {
    const known = [...loaded.catalog.byKind.Content.keys()].slice(0, 10).join(', ');
    throw new VigilError('USAGE', `no Content with id ${JSON.stringify(id)} in the catalog${known ? ` (there is ${known})` : ''}`);
  }
  return doc;
}

const ORDER = ['title', 'localized', 'alias', 'custom', 'episode', 'season', 'year', 'piracy', 'official', 'editorial'];

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { catalog: { type: 'string' }, format: { type: 'string', default: 'text' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('keywords', argv, options);
  const format = formatOf('keywords', values.format);
  if (!positionals[0]) throw new VigilError('USAGE', 'vigil keywords: name the Content id, e.g. vigil keywords moonlit-harbor-s01');
  const loaded = await loadValidCatalog(io, catalogDir(io, values.catalog), format, { sourceEnvPrefix: ctx.config.sourceEnvPrefix });
  const doc = contentOf(loaded, positionals[0]);
  const list = deriveKeywords(doc.metadata.id, doc.spec);
  const terms = [...list.terms].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || (a.episode ?? 0) - (b.episode ?? 0) || b.weight - a.weight || a.term.localeCompare(b.term));
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ content: list.contentId, terms: terms.map(({ normalized: _n, ...t }) => t) }, null, 2));
    return 0;
  }
  print(io.stdout, `Keywords for ${doc.metadata.id} (${terms.length} terms):`);
  let kind = '';
  for (const t of terms as KeywordTerm[]) {
    if (t.kind !== kind) { kind = t.kind; print(io.stdout, `\n${kind}:`); }
    const weight = `${t.weight > 0 ? '+' : ''}${t.weight}`.padStart(5);
    print(io.stdout, `  ${weight}  ${t.lang.padEnd(7)} ${t.term}${t.episode === undefined ? '' : `  (episode ${t.episode})`}`);
  }
  return 0;
}
