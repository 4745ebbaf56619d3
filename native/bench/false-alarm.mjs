// False-ID trials: unmarked frames with random keys, and marked frames read
// with a wrong key. Plain ESM (no tsx) so it can run anywhere the addon is
// built:  node native/bench/false-alarm.mjs [trials=1000] [workers=1]
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const addon = require('../build/Release/vigil_native.node');

function frameGen(seed, w, h) {
  let s = seed >>> 0 || 1;
  const r = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  const lat = Array.from({ length: 3 }, (_, k) => { const g = 4 << (2 * k); return { g, v: Float32Array.from({ length: (g + 2) * (g + 2) }, () => r() * 2 - 1), a: 50 / (k + 1) }; });
  return (t) => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let v = 120;
      for (const L of lat) {
        const u = ((x / w + t * 0.003) * L.g) % L.g, q = (y / h) * L.g;
        const x0 = Math.floor(u), y0 = Math.floor(q), fx = u - x0, fy = q - y0, W = L.g + 2;
        const a = L.v[y0 * W + x0], b = L.v[y0 * W + x0 + 1], c = L.v[(y0 + 1) * W + x0], d = L.v[(y0 + 1) * W + x0 + 1];
        v += L.a * (a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy);
      }
      out[y * w + x] = v + (r() - 0.5) * 6;
    }
    return out;
  };
}

function trial(i) {
  const w = 480, h = 270;
  const gen = frameGen(1000 + i, w, h);
  const key = randomBytes(32);
  const det = new addon.Detector({ key, width: w, height: h, bitDepth: 8 });
  const marked = i % 2 === 1;
  const emb = marked ? new addon.Embedder({ key: randomBytes(32), width: w, height: h, bitDepth: 8, payload: (i * 2654435761) >>> 0 || 1 }) : null;
  for (let t = 0; t < 6; t++) { const f = gen(t * 4); if (emb) emb.embed(f); det.accumulate(f); }
  const r = det.result();
  return { found: r.found, pfa: r.falseAlarmProbability, z: r.pilotZ };
}

if (isMainThread) {
  const n = Number(process.argv[2] ?? 1000), workers = Number(process.argv[3] ?? 1);
  const per = Math.ceil(n / workers);
  const t0 = Date.now();
  const results = (await Promise.all(Array.from({ length: workers }, (_, k) => new Promise((res, rej) => {
    const wk = new Worker(fileURLToPath(import.meta.url), { workerData: { from: k * per, to: Math.min(n, (k + 1) * per) } });
    wk.on('message', res); wk.on('error', rej);
  })))).flat();
  const found = results.filter((r) => r.found).length;
  const zs = results.map((r) => r.z).sort((a, b) => a - b);
  const minPfa = Math.min(...results.map((r) => r.pfa));
  console.log(`trials=${results.length} falseIDs=${found} pilotZ median=${zs[zs.length >> 1].toFixed(2)} max=${zs[zs.length - 1].toFixed(2)} min reported pfa=${minPfa.toExponential(2)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
} else {
  const out = [];
  for (let i = workerData.from; i < workerData.to; i++) out.push(trial(i));
  parentPort.postMessage(out);
}
