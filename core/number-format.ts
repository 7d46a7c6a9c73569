/**
 * Numbers printed in CSV: at most 12 significant digits, trailing zeros dropped, so a float sum's
 * last-bit noise (1193.6380000000001, from avg = sum / n) prints as 1193.638. A double holds
 * 15–17 significant digits, and a sum of thousands of points is exact to about 13; readings from
 * meters and sensors carry far fewer than 12, so a stored measured value prints exactly as
 * written. JSON output keeps every digit.
 */
export const csvNumber = (x: number): string => String(Number(x.toPrecision(12)));
