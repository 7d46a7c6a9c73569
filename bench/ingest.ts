import { parseArgs } from 'node:util';
import { renderCsvBench, runCsvIngestBench } from './ingest-csv.ts';
import { formatMqttBench, runMqttIngestBench, type MqttBenchResult } from './ingest-mqtt.ts';

/**
 * Ingest speed on this machine's PostgreSQL: `gridcast ingest csv` against `psql \copy` of the
 * same rows (target ≥ 0.5x), then the MQTT SCADA path in points committed per second
 * (target ≥ 10,000/s), one reading per message and gateway-style batches of 100.
 * Usage: npm run bench:ingest -- [--rows N] [--points N] [--database-url URL]
 */
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    points: { type: 'string', default: '200000' },
    'database-url': { type: 'string' },
  },
});
const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

console.log(`CSV import, ${Number(values.rows).toLocaleString('en')} rows`);
console.log(renderCsvBench(await runCsvIngestBench({ rows: Number(values.rows), databaseUrl })));

console.log(`\nMQTT SCADA path, ${Number(values.points).toLocaleString('en')} points`);
const mqtt: MqttBenchResult[] = [];
for (const pointsPerMessage of [1, 100]) {
  mqtt.push(await runMqttIngestBench({ points: Number(values.points), pointsPerMessage, backend: 'pg', databaseUrl }));
}
console.log(formatMqttBench(mqtt));
