import { fmix32, SplitMix32 } from './prng.js';

/** Paths of the synthetic store (the GA360 sample is the Google Merchandise Store). */
const SECTIONS = [
  'home',
  'google+redesign',
  'apparel',
  'bags',
  'drinkware',
  'electronics',
  'office',
  'lifestyle',
];
const ITEMS = ['mens', 'womens', 'kids', 'headgear', 'accessories', 'notebooks', 'stickers', 'bottles'];
const EVENT_CATEGORIES = ['Enhanced Ecommerce', 'Contact Us', 'Outbound Links', 'Video', 'Scroll Depth'];
const EVENT_ACTIONS = ['Quickview Click', 'Product Click', 'Add to Cart', 'Onsite Click', '75%'];
/** Share of page hits that view a product's detail (eCommerceAction.action_type "2"). */
const P_PRODUCT_DETAIL = 0.2;

const pick = <T>(s: SplitMix32, list: readonly T[]): T => list[s.int(list.length)]!;

/**
 * The `hits` array of one GA360 export session (`,"hits":[…]`), shaped like the BigQuery export:
 * per hit its number, time, type (`PAGE` for `pageviews` of them, `EVENT` otherwise), page with
 * path levels, app info, eCommerce action, products (on product detail views), custom dimensions
 * and the empty arrays the export writes. About 2.4 KB per hit, so 500 hits are ~1.2 MB, as in
 * real exports. The values come from their own stream keyed by `(key, start)`, so adding hits
 * does not change the session-level values drawn from the caller's stream.
 */
export class HitsComposer {
  private readonly s = new SplitMix32();

  constructor(private readonly key: number) {}

  /** `,"hits":[…]` with `hits` elements, `pageviews` of them pages. */
  json(start: number, hits: number, pageviews: number, seconds: number): string {
    const s = this.s.reset(fmix32(start ^ this.key));
    const parts: string[] = [];
    const step = hits > 1 ? Math.max(1, Math.floor((seconds * 1000) / hits)) : 0;
    let page = 0;
    for (let i = 0; i < hits; i++) {
      const isPage = Math.floor(((i + 1) * pageviews) / hits) > Math.floor((i * pageviews) / hits);
      if (isPage) page++;
      parts.push(this.hit(s, i, hits, isPage, page, i * step + s.int(Math.max(1, step)), start));
    }
    return `,"hits":[${parts.join(',')}]`;
  }

  private hit(
    s: SplitMix32,
    i: number,
    hits: number,
    isPage: boolean,
    page: number,
    time: number,
    start: number,
  ): string {
    const section = pick(s, SECTIONS);
    const item = pick(s, ITEMS);
    const path = `/${section}/${item}/quickview/${s.int(100_000)}`;
    const detail = isPage && s.float() < P_PRODUCT_DETAIL;
    const products = detail
      ? Array.from({ length: 1 + s.int(4) }, (_, p) => product(s, section, item, p + 1)).join(',')
      : '';
    const hour = new Date((start + Math.floor(time / 1000)) * 1000).getUTCHours();
    const dims = Array.from(
      { length: 10 + s.int(11) },
      (_, d) => `{"index":"${d + 1}","value":"${pick(s, ITEMS)}-${s.int(1_000_000).toString(36)}"}`,
    ).join(',');
    const event = isPage
      ? ''
      : `"eventInfo":{"eventCategory":"${pick(s, EVENT_CATEGORIES)}","eventAction":"${pick(s, EVENT_ACTIONS)}","eventLabel":"${item} ${s.int(1000)}"},`;
    return (
      `{"hitNumber":"${i + 1}","time":"${time}","hour":"${hour}","minute":"${s.int(60)}",` +
      `"isInteraction":${isPage || s.float() < 0.5},${i === 0 ? '"isEntrance":true,' : ''}${i === hits - 1 ? '"isExit":true,' : ''}` +
      `"referer":"https://shop.googlemerchandisestore.com/${section}","page":{"pagePath":"${path}","hostname":"shop.googlemerchandisestore.com",` +
      `"pageTitle":"${item} | ${section} | Google Merchandise Store","pagePathLevel1":"/${section}/","pagePathLevel2":"/${item}/",` +
      `"pagePathLevel3":"/quickview/","pagePathLevel4":""},"transaction":{"currencyCode":"USD"},"item":{"currencyCode":"USD"},` +
      `"contentInfo":null,"appInfo":{"screenName":"shop.googlemerchandisestore.com${path}","landingScreenName":"shop.googlemerchandisestore.com/home",` +
      `"exitScreenName":"shop.googlemerchandisestore.com${path}","screenDepth":"0"},"exceptionInfo":{"isFatal":true},${event}` +
      `"product":[${products}],"promotion":[],"promotionActionInfo":null,"refund":null,` +
      `"eCommerceAction":{"action_type":"${detail ? 2 : 0}","step":"1"},"experiment":[],"publisher":null,` +
      `"customVariables":[],"customDimensions":[${dims}],"customMetrics":[],"type":"${isPage ? 'PAGE' : 'EVENT'}",` +
      `"social":{"socialNetwork":"(not set)","hasSocialSourceReferral":"No","socialInteractionNetworkAction":" : "},` +
      `"latencyTracking":null,"sourcePropertyInfo":null,"contentGroup":{"contentGroup1":"(not set)","contentGroup2":"${section}",` +
      `"contentGroup3":"(not set)","contentGroup4":"(not set)","contentGroup5":"(not set)","previousContentGroup1":"(entrance)",` +
      `"previousContentGroup2":"(entrance)","previousContentGroup3":"(entrance)","previousContentGroup4":"(entrance)",` +
      `"previousContentGroup5":"(entrance)","contentGroupUniqueViews2":"${isPage ? 1 : 0}"},"dataSource":"web",` +
      `"publisher_infos":[],"pageviewNumber":"${page}"}`
    );
  }
}

function product(s: SplitMix32, section: string, item: string, position: number): string {
  const sku = `GGOEG${s.int(100_000).toString().padStart(5, '0')}`;
  return (
    `{"productSKU":"${sku}","v2ProductName":"Google ${item} ${section} ${s.int(1000)}","v2ProductCategory":"Home/${section}/${item}/",` +
    `"productVariant":"(not set)","productBrand":"(not set)","productPrice":"${(1 + s.int(100)) * 990_000}",` +
    `"localProductPrice":"${(1 + s.int(100)) * 990_000}","isImpression":true,"customDimensions":[],"customMetrics":[],` +
    `"productListName":"Category","productListPosition":"${position}"}`
  );
}
