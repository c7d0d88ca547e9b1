import { HitsComposer } from './hits.js';
import { fmix32, type Random, SplitMix32 } from './prng.js';
import { CHANNELS, CONTINENTS, DEVICES, pickIndex, weightedTable, type WeightedTable } from './tables.js';

/** Share of sessions with a single hit (GA360 sample: ~50% bounce). */
const P_BOUNCE = 0.47;
/** Pareto tail of hits in multi-hit sessions: P(hits ≥ x) = (2 / x)^α, capped at 500. */
const HITS_ALPHA = 1.2;
const MAX_HITS = 500;
/** Share of sessions whose pageviews are null (GA360 sample: 100 of 901,097). */
const P_NO_PAGEVIEWS = 1e-4;
/** Multi-hit sessions without a duration (single-hit sessions never have one, as in GA). */
const P_NO_DURATION = 0.01;
const MAX_TIME_ON_SITE = 19_017;
/**
 * Purchases happen only in sessions with ≥ 5 hits; P(hits ≥ 5) = (1 − P_BOUNCE)·(2/5)^α ≈ 17.7%,
 * so 7.35% of those gives ≈ 1.3% of all sessions.
 */
const MIN_HITS_TO_BUY = 5;
const P_BUY = 0.0735;

/** What the truth file needs to know about the session just composed. */
export interface SessionFacts {
  continent: number;
  device: number;
  /** Seconds, or −1 when `timeOnSite` is null. */
  timeOnSite: number;
}

/**
 * Writes one session as a GA360 BigQuery-export JSON line. Each user's fixed attributes
 * (continent, country, device, browser, fullVisitorId) are recomputed from `(seed, user)` by a
 * re-keyed hash stream, so nothing per user is stored; the session's own values come from the
 * caller's sequential stream.
 */
export class SessionComposer {
  readonly facts: SessionFacts = { continent: 0, device: 0, timeOnSite: -1 };

  private readonly userStream = new SplitMix32();
  private readonly continentTable = weightedTable(CONTINENTS.map((c) => c.weight));
  private readonly countryTables = CONTINENTS.map((c) => weightedTable(c.countries.map(([, w]) => w)));
  private readonly deviceTable = weightedTable(DEVICES.map((d) => d.weight));
  private readonly browserTables = DEVICES.map((d) => weightedTable(d.browsers.map(([, w]) => w)));
  private readonly geoJson = CONTINENTS.map((c) =>
    c.countries.map(
      ([country]) =>
        `"geoNetwork":{"continent":${JSON.stringify(c.name)},"country":${JSON.stringify(country)}}`,
    ),
  );
  private readonly deviceJson = DEVICES.map((d) =>
    d.browsers.map(
      ([browser]) =>
        `"device":{"browser":${JSON.stringify(browser)},"deviceCategory":${JSON.stringify(d.name)}}`,
    ),
  );
  private readonly traffic: { table: WeightedTable; sourceJson: string[]; channelJson: string[] };

  private readonly hitsPerSession: number | undefined;
  private user = -1;
  private userGeo = '';
  private userDevice = '';
  private userId = '';

  private readonly hitsComposer: HitsComposer | undefined;

  /**
   * `userKey` and `idKey` are derived from the seed. With `fullSchema`, each line also carries its
   * `hits` array (as many elements as `totals.hits`; `hitsPerSession` fixes that number).
   */
  constructor(
    private readonly userKey: number,
    private readonly idKey: number,
    fullSchema?: { readonly hitsKey: number; readonly hitsPerSession?: number | undefined },
  ) {
    this.hitsComposer = fullSchema ? new HitsComposer(fullSchema.hitsKey) : undefined;
    this.hitsPerSession = fullSchema?.hitsPerSession;
    const weights: number[] = [];
    const sourceJson: string[] = [];
    const channelJson: string[] = [];
    const sum = (w: readonly (readonly [string, number])[]): number => w.reduce((a, [, x]) => a + x, 0);
    for (const ch of CHANNELS) {
      const [sTotal, cTotal] = [sum(ch.sources), sum(ch.campaigns)];
      for (const [source, sw] of ch.sources) {
        for (const [campaign, cw] of ch.campaigns) {
          weights.push((ch.weight * sw * cw) / (sTotal * cTotal));
          sourceJson.push(
            `"trafficSource":{"campaign":${JSON.stringify(campaign)},"source":${JSON.stringify(source)}}`,
          );
          channelJson.push(`"channelGrouping":${JSON.stringify(ch.name)}`);
        }
      }
    }
    this.traffic = { table: weightedTable(weights), sourceJson, channelJson };
  }

  /** One NDJSON line (with its `\n`); `facts` then describes it. */
  line(rng: Random, u: number, visitNumber: number, start: number, ymd: string): string {
    this.selectUser(u);
    const facts = this.facts;

    const drawn =
      rng.float() < P_BOUNCE ? 1 : Math.min(MAX_HITS, Math.floor(2 * (1 - rng.float()) ** (-1 / HITS_ALPHA)));
    const hits = this.hitsPerSession ?? drawn;
    let totals = `"hits":"${hits}"`;
    let pages = hits;
    if (rng.float() >= P_NO_PAGEVIEWS) {
      pages = hits - Math.floor(rng.float() * hits * 0.25);
      totals += `,"pageviews":"${pages}"`;
    }
    facts.timeOnSite = -1;
    if (hits > 1 && rng.float() >= P_NO_DURATION) {
      const scale = 30 * hits ** 0.85 * DEVICES[facts.device]!.durationFactor;
      const seconds = Math.min(MAX_TIME_ON_SITE, 1 + Math.floor(scale * -Math.log(1 - rng.float())));
      facts.timeOnSite = seconds;
      totals += `,"timeOnSite":"${seconds}"`;
    }
    if (hits === 1) totals += ',"bounces":"1"';
    let totalRevenue = 0;
    if (hits >= MIN_HITS_TO_BUY && rng.float() < P_BUY) {
      const r = rng.float();
      const transactions = r < 0.9 ? 1 : r < 0.98 ? 2 : 3;
      const cents = transactions * (500 + Math.floor(6000 * -Math.log(1 - rng.float())));
      // Revenue is in micros and always whole cents, as in the export.
      const revenue = cents * 10_000;
      totalRevenue = revenue + Math.floor(cents * 0.08) * 10_000;
      totals += `,"transactions":"${transactions}","transactionRevenue":"${revenue}"`;
    }
    if (visitNumber === 1) totals += ',"newVisits":"1"';
    if (totalRevenue > 0) totals += `,"totalTransactionRevenue":"${totalRevenue}"`;

    const t = pickIndex(this.traffic.table, rng.float());
    const hitsJson = this.hitsComposer?.json(start, hits, pages, Math.max(0, facts.timeOnSite)) ?? '';
    return (
      `{"visitNumber":"${visitNumber}","visitId":"${start}","visitStartTime":"${start}","date":"${ymd}",` +
      `"totals":{${totals}},${this.traffic.sourceJson[t]!},${this.userDevice},${this.userGeo}${hitsJson},` +
      `"fullVisitorId":"${this.userId}",${this.traffic.channelJson[t]!}}\n`
    );
  }

  private selectUser(u: number): void {
    if (u === this.user) return;
    this.user = u;
    const s = this.userStream.reset(fmix32(Math.imul(u, 0x9e3779b1) ^ this.userKey));
    const continent = pickIndex(this.continentTable, s.float());
    const country = pickIndex(this.countryTables[continent]!, s.float());
    const device = pickIndex(this.deviceTable, s.float());
    const browser = pickIndex(this.browserTables[device]!, s.float());
    this.facts.continent = continent;
    this.facts.device = device;
    this.userGeo = this.geoJson[continent]![country]!;
    this.userDevice = this.deviceJson[device]![browser]!;
    // Nine random leading digits, then ten digits that are a bijection of the user index:
    // unique without a lookup table.
    const high = s.int(1_000_000_000);
    const low = fmix32(u ^ this.idKey);
    this.userId = String(high).padStart(9, '0') + String(low).padStart(10, '0');
  }
}
