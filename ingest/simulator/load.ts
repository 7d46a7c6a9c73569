import type { LocalTime } from './calendar.ts';

/** Heating starts below this smoothed temperature, cooling above COOLING_FROM (°C). */
export const HEATING_BELOW = 15;
export const COOLING_FROM = 22;

export interface LoadShape {
  /** Mean level in the node's power unit. */
  base: number;
  /** Share of commercial/industrial demand (weekday-driven, little thermal sensitivity). */
  industrial: number;
  /** Relative load change per °C below HEATING_BELOW (electric heating). */
  heatingPerDegree: number;
  /** Relative load change per °C above COOLING_FROM (air conditioning). */
  coolingPerDegree: number;
}

const bump = (h: number, centre: number, width: number) => Math.exp(-0.5 * ((h - centre) / width) ** 2);
const ramp = (h: number, from: number, to: number) => 1 / (1 + Math.exp(-(h - from) * 2)) - 1 / (1 + Math.exp(-(h - to) * 2));

/** Households: night trough, morning and evening peaks; later mornings on rest days. */
function residential(t: LocalTime): number {
  const rest = t.dayType !== 'workday';
  return 0.62 + 0.22 * bump(t.hour, rest ? 10 : 7.8, 1.6) + 0.12 * bump(t.hour, 12.8, 1.5) + 0.42 * bump(t.hour, 19.3, 2) - 0.1 * bump(t.hour, 4, 2);
}

/** Offices and industry: a working-hours plateau on weekdays, reduced on Saturdays, base load on rest days and in the August break. */
function industrial(t: LocalTime): number {
  const plateau = ramp(t.hour, 6.5, 19);
  const level = t.dayType === 'workday' ? 0.75 : t.dayType === 'saturday' ? 0.25 : 0.05;
  const august = t.month === 8 && t.day <= 20 ? 0.7 : 1;
  return (0.45 + level * plateau) * august;
}

/** Load (before embedded PV) of one bottom node, given local time and the exponentially smoothed temperature. */
export function substationLoad(shape: LoadShape, t: LocalTime, smoothedTemp: number): number {
  const profile = (1 - shape.industrial) * residential(t) + shape.industrial * industrial(t);
  const heating = shape.heatingPerDegree * Math.max(0, HEATING_BELOW - smoothedTemp);
  const cooling = shape.coolingPerDegree * Math.max(0, smoothedTemp - COOLING_FROM);
  // Thermal loads follow occupancy: weaker at night.
  const occupancy = 0.75 + 0.25 * ramp(t.hour, 6, 22.5);
  return shape.base * (profile + (1 - 0.7 * shape.industrial) * (heating + cooling) * occupancy);
}

/** Traction demand of a train line (0..1 of its rating): no service at night, rush hours, thinner service on rest days. */
export function trainTimetable(t: LocalTime): number {
  if (t.hour >= 1 && t.hour < 5) return 0;
  const rush = bump(t.hour, 8, 1) + bump(t.hour, 18, 1.2);
  return (t.dayType === 'workday' ? 0.55 + 0.45 * rush : 0.35 + 0.1 * rush);
}
