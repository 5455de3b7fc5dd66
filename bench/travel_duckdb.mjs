// travel_duckdb.mjs DIR THREADS — impossible_travel's equivalent SQL
// (docs/detections/impossible_travel.md, "Equivalent SQL") in DuckDB: loads
// DIR/events.csv and DIR/ipgeo.csv (bench/travel_ipgeo.sh) into native
// tables, then times the query (best of 3, in-process) and prints
// {"rows": N, "load_ms": .., "query_ms": .., "results": N}.
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, threads] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: String(threads || 2) });
const con = await db.connect();
let t0 = performance.now();
await con.run(`CREATE TABLE events AS SELECT time::TIMESTAMP AS time, person, src_ip, provider, source
  FROM read_csv('${dir}/events.csv', header = true, all_varchar = true)`);
await con.run(`CREATE TABLE ipgeo AS SELECT ip, lat::DOUBLE AS lat, lon::DOUBLE AS lon,
  radius_km::DOUBLE AS radius_km, country FROM read_csv('${dir}/ipgeo.csv', header = true, all_varchar = true)`);
const load = performance.now() - t0;
const rows = (await con.runAndReadAll('SELECT count(*) FROM events')).getRows()[0][0];

const sql = `
WITH obs AS (
  SELECT e.person, e.time, e.src_ip, e.provider, e.source,
         g.lat, g.lon, g.radius_km, g.country
  FROM events e JOIN ipgeo g ON g.ip = e.src_ip
  WHERE e.person IS NOT NULL AND e.person <> ''
),
seq AS (
  SELECT *,
         lag(time)      OVER w AS p_time,
         lag(src_ip)    OVER w AS p_ip,
         lag(lat)       OVER w AS p_lat,
         lag(lon)       OVER w AS p_lon,
         lag(radius_km) OVER w AS p_radius,
         lag(country)   OVER w AS p_country
  FROM obs
  WINDOW w AS (PARTITION BY person ORDER BY time)
),
j AS (
  SELECT *,
         2 * 6371.0088 * asin(sqrt(
             pow(sin(radians(lat - p_lat) / 2), 2) +
             cos(radians(p_lat)) * cos(radians(lat)) *
             pow(sin(radians(lon - p_lon) / 2), 2))) AS km,
         greatest(epoch(time) - epoch(p_time), 1) AS secs
  FROM seq
  WHERE p_ip IS NOT NULL AND p_ip <> src_ip
)
SELECT person, p_time, p_ip, p_country, time, src_ip, country,
       round(km) AS km,
       round(greatest(km - radius_km - p_radius, 0)) AS min_km,
       round(greatest(km - radius_km - p_radius, 0) / (secs / 3600.0)) AS kmh
FROM j
WHERE greatest(km - radius_km - p_radius, 0) >= 500
  AND greatest(km - radius_km - p_radius, 0) / (secs / 3600.0) > 900
ORDER BY person, time`;
let best = Infinity, n = 0;
for (let i = 0; i < 3; i++) {
  t0 = performance.now();
  const r = await con.runAndReadAll(sql);
  const ms = performance.now() - t0;
  n = r.getRows().length;
  if (ms < best) best = ms;
}
console.log(JSON.stringify({ rows: Number(rows), load_ms: Math.round(load),
                             query_ms: Math.round(best), results: n }));
