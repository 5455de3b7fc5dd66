// duckdb_hunt.mjs DB EVENTS_CSV IPGEO_CSV THREADS SQL_FILE... — loads (once)
// kumo's normalized events (`kumo export --format csv`) into a native DuckDB
// table `events`, and the address table `ipgeo` (kumo's own geo answers, so
// both sides place every address the same), then runs each SQL file (the
// "Equivalent SQL" of a detection's doc page) best of 5, in-process, and
// prints one JSON line per file: {"name", "ms", "rows"}.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [dbfile, csv, ipgeo, threads, ...sqls] = process.argv.slice(2);
const fresh = !existsSync(dbfile);
const db = await DuckDBInstance.create(dbfile, { threads: String(threads || 2) });
const con = await db.connect();
if (fresh) {
  const t0 = performance.now();
  // the columns the detections' SQL reads, typed; everything as kumo exported it
  await con.run(`CREATE TABLE events AS
    SELECT "time"::TIMESTAMP AS time, provider, source, account, region,
           "actor.type" AS actor_type, "actor.id" AS actor_id, "actor.name" AS actor_name,
           "actor.arn" AS actor_arn, "actor.email" AS actor_email,
           "actor.access_key" AS access_key, "src.ip" AS src_ip, user_agent, category,
           service, action, outcome, "error.code" AS error_code, event_id,
           "src.geo.country" AS provider_country,
           "actor.email" AS person
    FROM read_csv('${csv}', header = true, all_varchar = true, max_line_size = 16777216)`);
  await con.run(`CREATE TABLE ipgeo AS
    SELECT ip, TRY_CAST(lat AS DOUBLE) AS lat, TRY_CAST(lon AS DOUBLE) AS lon,
           TRY_CAST(radius_km AS DOUBLE) AS radius_km, country
    FROM read_csv('${ipgeo}', header = true, all_varchar = true)`);
  console.error(`duckdb: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
for (const f of sqls) {
  const sql = readFileSync(f, 'utf8');
  let best = Infinity, rows = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await con.runAndReadAll(sql);
    const ms = performance.now() - t0;
    rows = r.getRows().length;
    if (ms < best) best = ms;
  }
  console.log(JSON.stringify({ name: basename(f, '.sql'), ms: Number(best.toFixed(1)), rows }));
}
