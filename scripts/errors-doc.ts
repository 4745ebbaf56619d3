import fs from 'node:fs';
import { errorTableMarkdown } from '../core/errors.js';

fs.writeFileSync(new URL('../docs/errors.md', import.meta.url), errorTableMarkdown());
