import type { IngestStore, IngestUnit, MeasurementEncoder, RowSink, SpikeStore } from '../core/ingest-store.ts';
import { measurementEncoder } from './copy-binary.ts';
import { markAggregates, refreshAggregates } from './aggregates.ts';
import { claimBatch, findBatchByKey, finishBatch } from './batches.repository.ts';
import type { Db, Queryable } from './db.ts';
import {
  abandonDirectCopy,
  beginDirectCopy,
  loadSeriesUnits,
  MEASUREMENT_DIRECT_COPY,
  MEASUREMENT_STAGE_COLUMNS,
  measurementStageDdl,
  mergeStagedMeasurements,
  quarantineStaged,
  recentLevels,
  stagedDuplicates,
} from './measurements.repository.ts';
import { METERING_STAGE_COLUMNS, meteringStageDdl, mergeStagedMetering } from './metering.repository.ts';
import { markSuspect, measuredAround, measuredPages } from './suspect.repository.ts';
import { mergeStagedWeather, WEATHER_STAGE_COLUMNS, weatherStageDdl } from './weather.repository.ts';

const STAGE = 'ingest_stage';
const UNIQUE_VIOLATION = '23505';

const stageOf = {
  measurements: { ddl: measurementStageDdl, columns: MEASUREMENT_STAGE_COLUMNS, key: ['series_id', 'ts'] },
  weather: { ddl: weatherStageDdl, columns: WEATHER_STAGE_COLUMNS, key: ['station_id', 'variable', 'ts', 'issued_at'] },
  metering: { ddl: meteringStageDdl, columns: METERING_STAGE_COLUMNS, key: ['series_id', 'interval_start', 'status', 'received_at'] },
} as const;

/** The spike screen's reads and writes in the caller's transaction (a batch, or a job such as the live check). */
export function spikeStore(q: Queryable): SpikeStore {
  return {
    measuredAround: (spans) => measuredAround(q, spans),
    measuredPages: (seriesId, from, to, limit) => measuredPages(q, seriesId, from, to, limit),
    markSuspect: (marks, by) => markSuspect(q, marks, by),
    markAggregates: (range) => markAggregates(q, range),
  };
}

/**
 * Ingestion on either backend. A batch is one database transaction; rows are streamed by COPY,
 * straight into measurements under a savepoint (rolled back when a key clashes) or into a TEMP
 * staging table dropped at commit.
 */
export function ingestStore(db: Db): IngestStore {
  return { batch: (fn) => db.transaction((tx) => fn(ingestUnit(tx))) };
}

function ingestUnit(tx: Queryable): IngestUnit {
  return {
    ...spikeStore(tx),
    seriesUnits: () => loadSeriesUnits(tx),
    claimBatch: (b) => claimBatch(tx, b),
    findBatch: (key) => findBatchByKey(tx, key),
    async beginDirect(batchId) {
      await beginDirectCopy(tx);
      const tail = `,${batchId}\n`;
      const { table, columns } = MEASUREMENT_DIRECT_COPY;
      return copySink(tx, table, columns, () => tail, true, measurementEncoder(() => batchId));
    },
    abandonDirect: () => abandonDirectCopy(tx),
    async beginStage(kind) {
      await tx.exec(stageOf[kind].ddl(STAGE));
      return copySink(tx, STAGE, stageOf[kind].columns, (line) => `,${line}\n`, false, kind === 'measurements' ? measurementEncoder((line) => line) : undefined);
    },
    stagedDuplicates: (kind, limit) => stagedDuplicates(tx, STAGE, [...stageOf[kind].key], limit),
    recentLevels: (before, days) => recentLevels(tx, before, days),
    async quarantineStaged(batchId) {
      await quarantineStaged(tx, STAGE, batchId);
    },
    async mergeStaged(kind, batchId, onConflict, file) {
      if (kind === 'measurements') return mergeStagedMeasurements(tx, STAGE, batchId, onConflict, file);
      if (kind === 'weather') return mergeStagedWeather(tx, STAGE, batchId, onConflict, file);
      return { written: await mergeStagedMetering(tx, STAGE, batchId), revised: 0, revisions: [] };
    },
    refreshAggregates: (range) => refreshAggregates(tx, range),
    finishBatch: (id, r) => finishBatch(tx, id, r),
  };
}

function copySink(tx: Queryable, table: string, columns: readonly string[], end: (line: number) => string, clashes: boolean, binary?: MeasurementEncoder): RowSink {
  return {
    end,
    ...(binary ? { binary } : {}),
    async write(chunk) {
      try {
        await (typeof chunk === 'string' ? tx.copyCsv(table, [...columns], chunk) : tx.copyBinary(table, [...columns], chunk));
        return true;
      } catch (e) {
        if (clashes && (e as { code?: string }).code === UNIQUE_VIOLATION) return false;
        throw e;
      }
    },
  };
}
