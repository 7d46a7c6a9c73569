/** Solar geometry shared by the simulator and the PV estimate: pure, no equation of time (errors of minutes are irrelevant here). */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Cosine of the solar zenith angle at an instant and place. */
export function cosZenith(tMs: number, latDeg: number, lonDeg: number): number {
  const year = new Date(tMs).getUTCFullYear();
  const doy = (tMs - Date.UTC(year, 0, 1)) / DAY;
  const decl = ((23.44 * Math.PI) / 180) * Math.sin((2 * Math.PI * (284 + doy)) / 365.25);
  const solarHour = (((tMs % DAY) / HOUR + lonDeg / 15) % 24 + 24) % 24;
  const hourAngle = ((solarHour - 12) * 15 * Math.PI) / 180;
  const lat = (latDeg * Math.PI) / 180;
  return Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
}

/** Haurwitz clear-sky global horizontal irradiance in W/m²; 0 when the sun is down. */
export function clearSkyIrradiance(tMs: number, latDeg: number, lonDeg: number): number {
  const cz = cosZenith(tMs, latDeg, lonDeg);
  return cz <= 0 ? 0 : 1098 * cz * Math.exp(-0.057 / cz);
}
