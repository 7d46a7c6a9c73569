import { parseArgs } from 'node:util';
import { renderCsvBench, runCsvIngestBench } from './ingest-csv.ts';
import { formatMqttBench, runMqttIngestBench, type MqttBenchResult } from './ingest-mqtt.ts';
import { renderStorageBench, runStorageBench } from './storage.ts';

/**
 * Ingest speed on this machine's PostgreSQL: `gridcast ingest csv` against `psql \copy` of the
 * same rows (target ≥ 0.5x), then the MQTT SCADA path in points committed per second
 * (target ≥ 10,000/s), one reading per message and gateway-style batches of 100, then the bytes a
 * stored point costs on both backends (GEFCom2012 through the CLI; target ≤ 80 on PostgreSQL).
 * Usage: npm run bench:ingest -- [--rows N] [--points N] [--database-url URL] [--only csv|mqtt|storage]
 */
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    points: { type: 'string', default: '200000' },
    'database-url': { type: 'string' },
    only: { type: 'string' },
  },
});
const only = values.only;
const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

if (!only || only === 'csv') {
  console.log(`CSV import, ${Number(values.rows).toLocaleString('en')} rows`);
  console.log(renderCsvBench(await runCsvIngestBench({ rows: Number(values.rows), databaseUrl })));
}
if (!only || only === 'mqtt') {
  console.log(`\nMQTT SCADA path, ${Number(values.points).toLocaleString('en')} points`);
  const mqtt: MqttBenchResult[] = [];
  for (const pointsPerMessage of [1, 100]) {
    mqtt.push(await runMqttIngestBench({ points: Number(values.points), pointsPerMessage, backend: 'pg', databaseUrl }));
  }
  console.log(formatMqttBench(mqtt));
}
if (!only || only === 'storage') {
  console.log('\nStorage: GEFCom2012 through gridcast topology load + ingest csv (load, weather)');
  console.log(renderStorageBench(await runStorageBench(databaseUrl)));
}
