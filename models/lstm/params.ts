import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import { CalendarSpecSchema } from '../features/calendar.ts';

export const lstmParamsSchema = z.object({
  /** Steps of the multi-output head; longer forecasts roll the head forward block by block. */
  horizon: z.number().int().min(1),
  /** Days of load and temperature the network reads before the origin (one LSTM step per day). */
  lookbackDays: z.number().int().min(1).max(28),
  units: z.number().int().min(1).max(512),
  /** Width of the dense layer between the LSTM state (+ horizon inputs) and the output. */
  hidden: z.number().int().min(1).max(1024),
  maxEpochs: z.number().int().min(1),
  /** Windows drawn afresh from all training origins for every epoch. */
  samplesPerEpoch: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  learningRate: z.number().positive(),
  /** Epochs without a better validation loss before training stops. */
  patience: z.number().int().min(1),
  /** Last days of every series held out for early stopping and the error quantiles. */
  validationDays: z.number().int().min(1),
  /** Validation windows scored after each epoch (all of them are used for the quantiles). */
  maxValSamples: z.number().int().min(1),
  /** Share of training windows whose temperature is hidden, so forecasts without weather stay sound. */
  tempDropout: z.number().min(0).max(1),
  seed: z.number().int(),
  /** Wall-clock budget of the training loop; the best weights so far are kept when it runs out. */
  timeBudgetSec: z.number().positive(),
  /** 'auto': tfjs-node(-gpu) when installed, else wasm, else the pure-JS cpu backend. */
  backend: z.enum(['auto', 'wasm', 'cpu']),
  /** Public holidays and bridge days as inputs (e.g. { country: 'US' }); none when empty. */
  calendar: CalendarSpecSchema,
});

export type LstmParams = z.infer<typeof lstmParamsSchema>;

export const DEFAULT_LSTM_PARAMS: LstmParams = {
  horizon: 24,
  lookbackDays: 7,
  units: 32,
  hidden: 32,
  maxEpochs: 40,
  samplesPerEpoch: 2048,
  batchSize: 128,
  learningRate: 0.006,
  patience: 5,
  validationDays: 28,
  maxValSamples: 2048,
  tempDropout: 0.15,
  seed: 1,
  timeBudgetSec: 60,
  backend: 'auto',
  calendar: {},
};

export function resolveParams(p: Partial<LstmParams>): LstmParams {
  const r = lstmParamsSchema.safeParse({ ...DEFAULT_LSTM_PARAMS, ...p });
  if (!r.success) {
    throw new GridcastError('INVALID_PARAMS', `lstm parameters: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { issues: r.error.issues });
  }
  return r.data;
}
