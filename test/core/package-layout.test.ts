import { describe, expect, it } from 'vitest';
import { readPackageManifest, variantFile } from '../../core/package-layout.js';

const manifest = {
  format: 'vigil-ab-package', version: 1, patternVersion: 1, contentId: 'moonlit-harbor', playlist: 'index.m3u8', init: 'init.mp4',
  segments: [{ uri: 'seg-00000.m4s', durationSeconds: 4, position: -1 }, { uri: 'seg-00001.m4s', durationSeconds: 4, position: 0 }],
};

describe('A/B package layout', () => {
  it('reads a well-formed manifest', () => {
    expect(readPackageManifest(JSON.stringify(manifest))).toEqual({ ok: true, manifest });
  });

  it('names every bad field', () => {
    const bad = { ...manifest, version: 2, init: '../init.mp4', segments: [{ uri: 'a/b.m4s', durationSeconds: 0, position: -2 }, manifest.segments[1], manifest.segments[1]] };
    const read = readPackageManifest(JSON.stringify(bad));
    expect(read.ok).toBe(false);
    expect(read.ok ? [] : read.problems).toEqual([
      'version: must be 1', 'init: must be a plain file name', 'segments[0].uri: must be a plain file name',
      'segments[0].durationSeconds: must be a number > 0', 'segments[0].position: must be an integer >= -1', 'segments[2].uri: "seg-00001.m4s" is listed twice',
    ]);
    expect(readPackageManifest('{').ok).toBe(false);
  });

  it('serves an unmarked segment from A whatever the variant', () => {
    expect(variantFile('/p', manifest.segments[0]!, 1)).toBe('/p/A/seg-00000.m4s');
    expect(variantFile('/p', manifest.segments[1]!, 1)).toBe('/p/B/seg-00001.m4s');
    expect(variantFile('/p', manifest.segments[1]!, 0)).toBe('/p/A/seg-00001.m4s');
  });
});
