// Issue 15: what the log bucket's lifecycle costs per object, so the tiering decision (which
// objects move, and when) is made with figures. Prices: Amazon S3, US East (N. Virginia), list
// prices as published on https://aws.amazon.com/s3/pricing/ (Storage, Requests & data retrievals,
// lifecycle transition requests) when read in 2025; ap-northeast-1 is about 8-10 % higher per GB.
// Re-check them before a budget relies on the figures (this repository cannot read the page).
// Minimums: GLACIER_IR bills at least 128 KB per object and 90 days; DEEP_ARCHIVE bills 180 days and
// 40 KB of index per object (32 KB at its rate, 8 KB at STANDARD's) ("Amazon S3 storage classes").

export const US_EAST_1 = {
  standardPerGbMonth: 0.023,
  glacierIrPerGbMonth: 0.004,
  deepArchivePerGbMonth: 0.00099,
  transitionToGlacierIrPer1000: 0.02,
  transitionToDeepArchivePer1000: 0.05,
} as const;

const KB = 1 / (1024 * 1024); // GB per KB
const DAYS_PER_MONTH = 365 / 12;

export interface Tiering {
  glacierIrAfterDays?: number;
  deepArchiveAfterDays?: number;
}

/** USD for one object of `sizeKb` kept `years` years under the tiering (no tiering: STANDARD only). */
export function objectCostUsd(sizeKb: number, years: number, t: Tiering, p = US_EAST_1): number {
  const totalMonths = years * 12;
  const monthsAt = (fromDays: number, toDays: number) => Math.max(0, Math.min(toDays, years * 365) - fromDays) / DAYS_PER_MONTH;
  const irFrom = t.glacierIrAfterDays ?? Infinity;
  const daFrom = t.deepArchiveAfterDays ?? Infinity;
  let usd = monthsAt(0, Math.min(irFrom, daFrom)) * sizeKb * KB * p.standardPerGbMonth;
  if (irFrom < years * 365) {
    usd += p.transitionToGlacierIrPer1000 / 1000;
    usd += monthsAt(irFrom, daFrom) * Math.max(sizeKb, 128) * KB * p.glacierIrPerGbMonth;
  }
  if (daFrom < years * 365) {
    usd += p.transitionToDeepArchivePer1000 / 1000;
    const months = monthsAt(daFrom, Infinity);
    usd += months * ((sizeKb + 32) * KB * p.deepArchivePerGbMonth + 8 * KB * p.standardPerGbMonth);
  }
  return totalMonths > 0 ? usd : 0;
}
