import type { RunStore } from '../core/run-store.ts';
import type { Db } from './db.ts';
import { readForecasts, readRun, saveRun } from './forecasts.repository.ts';
import { championsFor, getVersion, shadowsFor, loadArtifact, loadCompanionArtifact } from './registry.repository.ts';
import { loadStoredTopology } from './topology.repository.ts';

/** The store a forecast run reads and writes (core/run-store.ts), over the repositories of its tables. */
export function runStoreRepository(db: Db): RunStore {
  return {
    topology: (defaultTimeZone) => loadStoredTopology(db, defaultTimeZone),
    champions: (seriesIds) => championsFor(db, seriesIds),
    shadows: (seriesIds) => shadowsFor(db, seriesIds),
    version: (id) => getVersion(db, id),
    artifact: (id) => loadArtifact(db, id),
    companion: (id) => loadCompanionArtifact(db, id),
    artifactsInDatabase: true,
    saveRun: (run, values) => saveRun(db, run, values),
    readRun: (runId) => readRun(db, runId),
    readValues: (runId) => readForecasts(db, runId),
  };
}
