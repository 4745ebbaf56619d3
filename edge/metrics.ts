/**
 * The edge's Prometheus metrics in the text exposition format (version 0.0.4): requests by kind and
 * status, denials by reason, and a latency histogram. Kept to what the edge needs, so the hot path
 * is a few additions; snapshots add up, so the primary of `vigil edge --workers N` sums its workers'.
 */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

export interface MetricsSnapshot {
  requests: Record<string, number>;
  denials: Record<string, number>;
  /** Cumulative-free counts per bucket (index i: <= LATENCY_BUCKETS[i]; last: +Inf). */
  buckets: number[];
  sum: number;
  count: number;
}

export function emptySnapshot(): MetricsSnapshot {
  return { requests: {}, denials: {}, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
}

export class EdgeMetrics {
  private s = emptySnapshot();

  request(kind: string, status: number, seconds: number): void {
    const key = `${kind}\u0000${status}`;
    this.s.requests[key] = (this.s.requests[key] ?? 0) + 1;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.s.buckets[i]!++;
    this.s.sum += seconds;
    this.s.count++;
  }

  denial(reason: string): void {
    this.s.denials[reason] = (this.s.denials[reason] ?? 0) + 1;
  }

  snapshot(): MetricsSnapshot {
    return structuredClone(this.s);
  }
}

export function addSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const total = emptySnapshot();
  for (const s of snapshots) {
    for (const [k, v] of Object.entries(s.requests)) total.requests[k] = (total.requests[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.denials)) total.denials[k] = (total.denials[k] ?? 0) + v;
    s.buckets.forEach((v, i) => { total.buckets[i]! += v; });
    total.sum += s.sum;
    total.count += s.count;
  }
  return total;
}

const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function exposition(s: MetricsSnapshot): string {
  const lines = [
    '# HELP vigil_edge_requests_total Requests the edge answered, by kind (playlist, init, segment, api, other) and HTTP status.',
    '# TYPE vigil_edge_requests_total counter',
  ];
  for (const [k, v] of Object.entries(s.requests).sort()) {
    const [kind, status] = k.split('\u0000');
    lines.push(`vigil_edge_requests_total{kind="${label(kind!)}",status="${label(status!)}"} ${v}`);
  }
  lines.push('# HELP vigil_edge_denials_total Requests refused with 403, by reason (the x-vigil-deny header).', '# TYPE vigil_edge_denials_total counter');
  for (const [k, v] of Object.entries(s.denials).sort()) lines.push(`vigil_edge_denials_total{reason="${label(k)}"} ${v}`);
  lines.push('# HELP vigil_edge_request_duration_seconds Time from a request to its answer.', '# TYPE vigil_edge_request_duration_seconds histogram');
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, i) => { cumulative += s.buckets[i]!; lines.push(`vigil_edge_request_duration_seconds_bucket{le="${le}"} ${cumulative}`); });
  cumulative += s.buckets[LATENCY_BUCKETS.length]!;
  lines.push(`vigil_edge_request_duration_seconds_bucket{le="+Inf"} ${cumulative}`);
  lines.push(`vigil_edge_request_duration_seconds_sum ${s.sum}`, `vigil_edge_request_duration_seconds_count ${s.count}`);
  return `${lines.join('\n')}\n`;
}
