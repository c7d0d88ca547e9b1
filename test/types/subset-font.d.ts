/** The part of `subset-font` 2.x the font test uses (`@types/subset-font` lacks `noHinting`). */
declare module 'subset-font' {
  interface SubsetFontOptions {
    readonly targetFormat?: 'sfnt' | 'truetype' | 'woff' | 'woff2';
    /** Drop hinting instructions (`hb-subset --no-hinting`); resvg does not use them. */
    readonly noHinting?: boolean;
  }
  export default function subsetFont(
    font: Buffer,
    text: string,
    options?: SubsetFontOptions,
  ): Promise<Buffer>;
}
