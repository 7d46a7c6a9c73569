import { z } from 'zod';

/**
 * A telemetry point as a device or gateway sends it. A device may only say 'ok' or
 * 'suspect': the other qualities describe what gridcast itself produced.
 */
const Timestamp = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).transform((v) => new Date(v));

export const TelemetryPoint = z.object({
  ts: Timestamp,
  value: z.number().finite(),
  quality: z.enum(['ok', 'suspect']).optional(),
});

/** MQTT payload: one point, or an array of points for gateways that batch. */
export const MqttPayload = z.union([TelemetryPoint, z.array(TelemetryPoint).min(1)]);

/** HTTP poll body: points of several series, as an array or under `points`. */
const HttpPoint = TelemetryPoint.extend({ seriesId: z.string().min(1) });
export const HttpPollBody = z.union([z.array(HttpPoint), z.object({ points: z.array(HttpPoint) })]).transform((b) => (Array.isArray(b) ? b : b.points));

export interface MeasurementRow {
  seriesId: string;
  ts: Date;
  value: number;
  quality?: 'ok' | 'suspect' | 'imputed';
  method?: string | null;
}
