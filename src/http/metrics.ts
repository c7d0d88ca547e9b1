/**
 * Process-local counters and request latencies exposed as Prometheus text on `GET /metrics`.
 * Labels are route patterns, metric names and outcomes only: never user ids, days asked for, or
 * any value.
 */
export class HttpMetrics {
  readonly #counters = new Map<string, Map<string, number>>();
  /** Route pattern → [count, sum of seconds]. */
  readonly #latency = new Map<string, [number, number]>();
  readonly #help: Record<string, string> = {
    dp_http_requests_total: 'HTTP requests answered, by route pattern and status.',
    dp_releases_total: 'DAU/MAU answers, by metric and outcome (computed, reused, refused).',
    dp_epsilon_spent_total: 'Privacy budget (ε) charged by releases computed in this process.',
    dp_erasures_requested_total: 'Erasure requests accepted.',
    dp_events_ingested_total: 'Activity events accepted.',
  };

  add(name: string, labels: Readonly<Record<string, string>>, by = 1): void {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    const series = this.#counters.get(name) ?? new Map<string, number>();
    series.set(key, (series.get(key) ?? 0) + by);
    this.#counters.set(name, series);
  }

  /** Records how long answering a request on `route` (a pattern) took. */
  observe(route: string, seconds: number): void {
    const key = `route="${route.replace(/["\\\n]/g, '_')}"`;
    const [n, sum] = this.#latency.get(key) ?? [0, 0];
    this.#latency.set(key, [n + 1, sum + seconds]);
  }

  get help(): Readonly<Record<string, string>> {
    return this.#help;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const [name, help] of Object.entries(this.#help)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      const series = this.#counters.get(name);
      if (!series || series.size === 0) {
        lines.push(`${name} 0`);
        continue;
      }
      for (const [labels, value] of [...series].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
      }
    }
    const latency = 'dp_http_request_duration_seconds';
    lines.push(`# HELP ${latency} Time to answer a request, by route pattern.`, `# TYPE ${latency} summary`);
    for (const [labels, [n, sum]] of [...this.#latency].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      lines.push(`${latency}_sum{${labels}} ${sum}`, `${latency}_count{${labels}} ${n}`);
    }
    return lines.join('\n') + '\n';
  }
}
