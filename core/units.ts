/** Energy units (Wh, kWh, MWh, …) add up over a bucket; power and anything else (kW, MW, °C) is averaged. */
export const isEnergyUnit = (unit: string): boolean => /wh$/i.test(unit.trim());
