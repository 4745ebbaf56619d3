/**
 * The ESLint rule `vigil/import-boundaries` (eslint.config.js, so `npm test` runs it): the arrows of
 * ../shared/DESIGN.md point one way. Relative imports are resolved against the importing file, so
 * '../../reconciler/plan.js' is caught from any depth. Packages ('pg', 'node:fs') are not parts
 * and are not checked.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What each part may import besides itself. Folders not listed (cli/, which dispatches to every
 * part, test/, bench/, scripts/, bin/) may import anything; nothing may import bot/, web/ or
 * edge/, since no listed part names them.
 */
export const MAY_IMPORT = {
  schemas: [],
  core: ['schemas'],
  reconciler: ['core'],
  runners: ['core', 'native'],
  native: [],
  bot: ['core', 'reconciler'],
  web: ['core'],
  edge: ['core'],
};

/** The top-level folder a repository-relative path lies in, or undefined outside the repository. */
function partOf(relative) {
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep)[0];
}

/** @type {import('eslint').Rule.RuleModule} */
export const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'keeps imports between the parts of Vigil one way (../shared/DESIGN.md, "Folders")' },
    schema: [],
    messages: {
      forbidden: '{{from}}/ may import only {{allowed}} (../shared/DESIGN.md): {{source}} reaches {{to}}',
    },
  },
  create(context) {
    const from = partOf(path.relative(ROOT, context.filename));
    const allowed = from === undefined ? undefined : MAY_IMPORT[from];
    if (!allowed) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !(source.startsWith('.') || path.isAbsolute(source))) return;
      const target = path.resolve(path.dirname(context.filename), source);
      const to = partOf(path.relative(ROOT, target));
      if (to === from || (to !== undefined && allowed.includes(to))) return;
      context.report({
        node,
        messageId: 'forbidden',
        data: {
          from,
          allowed: [`${from}/`, ...allowed.map((p) => `${p}/`)].join(', '),
          source: `'${source}'`,
          to: to === undefined ? 'outside the repository' : `${to}/`,
        },
      });
    };
    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => check(node.source, literal(node.source)),
      // import x = require('…') and types written as import('…').T
      TSExternalModuleReference: (node) => check(node.expression, literal(node.expression)),
      TSImportType: (node) => check(node.argument, literal(node.argument?.literal ?? node.argument)),
    };
  },
};
