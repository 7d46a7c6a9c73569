import { clearSkyIrradiance } from '../prepare/solar.ts';
import { smoothNoise, streamKey, uniform } from './random.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR_DAYS = 365.25;

export interface Station {
  id: string;
  latitude: number;
  longitude: number;
}

const dayOfYear = (tMs: number): number => {
  const d = new Date(tMs);
  return (tMs - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY;
};

/**
 * Weather of a temperate (French-like) climate per station: an annual cycle, a diurnal cycle
 * in solar time, and weather regimes shared across stations (spatially correlated) plus a
 * local part. Irradiance is clear-sky × a random clearness that is also mostly shared.
 */
export function createWeather(seed: number) {
  const common = streamKey('weather/common');
  const commonSlow = streamKey('weather/common-slow');
  const cloudCommon = streamKey('weather/cloud');
  const local = new Map<string, { temp: number; cloud: number; offset: number }>();
  const keysOf = (s: Station) => {
    let k = local.get(s.id);
    if (!k) {
      const base = streamKey(`weather/${s.id}`);
      k = { temp: base, cloud: base ^ 0x5bd1e995, offset: (uniform(seed, base, 0) - 0.5) * 3 };
      local.set(s.id, k);
    }
    return k;
  };

  const temperature = (s: Station, tMs: number): number => {
    const k = keysOf(s);
    const doy = dayOfYear(tMs);
    const annual = 12.5 - 8.5 * Math.cos((2 * Math.PI * (doy - 20)) / YEAR_DAYS);
    const diurnalAmp = 4 - 1.5 * Math.cos((2 * Math.PI * (doy - 20)) / YEAR_DAYS);
    const solarHour = (tMs % DAY) / HOUR + s.longitude / 15;
    const diurnal = diurnalAmp * Math.cos((2 * Math.PI * (solarHour - 15)) / 24);
    const regime = 3.5 * smoothNoise(seed, commonSlow, tMs, 4 * DAY) + 1.5 * smoothNoise(seed, common, tMs, 12 * HOUR);
    const localPart = 0.8 * smoothNoise(seed, k.temp, tMs, 6 * HOUR);
    return annual + diurnal + regime + localPart + k.offset;
  };

  /** Share of the sky covered, 0..1. */
  const cloudiness = (s: Station, tMs: number): number => {
    const k = keysOf(s);
    const z = 1.2 * smoothNoise(seed, cloudCommon, tMs, 8 * HOUR) + 0.6 * smoothNoise(seed, k.cloud, tMs, 2 * HOUR);
    return 1 / (1 + Math.exp(-z));
  };

  const irradiance = (s: Station, tMs: number): number => clearSkyIrradiance(tMs, s.latitude, s.longitude) * (1 - 0.75 * cloudiness(s, tMs));

  return { temperature, irradiance, cloudiness };
}
