import { VigilError } from '../../core/errors.js';
import { DEFAULT_CHROMIUM } from '../monitor/browser.js';

/**
 * The PDF of a report: Debian's Chromium, headless through playwright-core, prints the report's
 * HTML, so the PDF and the e-mail are one layout. The page loads nothing from the network: the
 * charts are inline and every request is refused.
 */

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

export async function htmlToPdf(html: string, options: { executablePath?: string; title: string }): Promise<Buffer> {
  const { chromium } = await import('playwright-core');
  let browser;
  try {
    browser = await chromium.launch({ executablePath: options.executablePath || DEFAULT_CHROMIUM, args: ARGS, timeout: 30_000 });
  } catch (error) {
    throw new VigilError('REPORT_RENDER_FAILED', `Chromium (${options.executablePath || DEFAULT_CHROMIUM}) could not start to print "${options.title}": ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load', timeout: 30_000 });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  } catch (error) {
    throw new VigilError('REPORT_RENDER_FAILED', `Chromium could not print "${options.title}" to PDF: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  } finally {
    await browser.close();
  }
}
