import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a realistic catalog of `total` documents: per title a Content and a MonitoringJob, plus
 * recipients, sites and one Policy; 100 documents per file, as a large team would split them.
 */
export async function generateCatalog(dir: string, total: number): Promise<number> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const docs: string[] = [];
  const recipients = Math.min(900, Math.floor(total * 0.09));
  const sites = Math.floor(total * 0.01);
  const titles = Math.floor((total - recipients - sites - 1) / 2);
  docs.push(`apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: default\nspec:\n  limits:\n    activeRecipients: 1000\n`);
  for (let i = 0; i < sites; i++) {
    docs.push(`apiVersion: vigil/v1\nkind: Site\nmetadata:\n  id: site-${i}\nspec:\n  type: ${i % 10 === 0 ? 'legitimate' : 'piracy'}\n  category: streaming\n  family: family-${i % 50}\n  domains: [site${i}.example, site${i}.to]\n  sources:\n    - { type: web, url: "https://site${i}.example/new", depth: 2, maxPages: 200 }\n`);
  }
  for (let i = 0; i < recipients; i++) {
    docs.push(`apiVersion: vigil/v1\nkind: Recipient\nmetadata:\n  id: recipient-${i}\nspec:\n  name: Partner-${i}.VOD\n  watermarkId: ${10_000 + i}\n  contact: ops${i}@partner.example\n`);
  }
  for (let i = 0; i < titles; i++) {
    const season = i % 3 === 0;
    const month = String((i % 12) + 1).padStart(2, '0');
    const day = String((i % 28) + 1).padStart(2, '0');
    docs.push(`apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: title-${i}\n  labels:\n    studio: studio-${i % 20}\nspec:\n  type: ${season ? 'season' : 'film'}\n  title: "Generated Title ${i}"\n  aliases: ["GT ${i}"]\n  localizedTitles:\n    - { lang: ko, title: "생성된 제목 ${i}" }\n    - { lang: ja, title: "生成タイトル ${i}" }\n${season ? `  season: ${(i % 5) + 1}\n  episodes: 12\n` : ''}  releaseDate: 20${20 + (i % 9)}-${month}-${day}\n  watermarked: ${i % 2 === 0}\n`);
    docs.push(`apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: title-${i}-watch\nspec:\n  content: title-${i}\n  tier: ${i % 4 === 0 ? 'premium' : 'standard'}\n  detection: manual\n  takedown: manual\n${i % 10 === 0 ? '  stopped: true\n' : ''}`);
  }
  // Round up to exactly `total` with films that nothing monitors yet.
  for (let i = 0; docs.length < total; i++) {
    docs.push(`apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: extra-${i}\nspec:\n  type: film\n  title: "Extra ${i}"\n  releaseDate: 2027-01-01\n`);
  }
  for (let f = 0; f * 100 < docs.length; f++) {
    await fs.writeFile(path.join(dir, `part-${String(f).padStart(4, '0')}.yaml`), docs.slice(f * 100, f * 100 + 100).join('---\n'));
  }
  return docs.length;
}
