// duckdb_query.mjs DB DATA_DIR THREADS — loads (once) every *.json.gz CloudTrail
// file under DATA_DIR into a native DuckDB table `ev` in the database file DB,
// then runs the bench/query questions and prints one JSON line per query:
// {"name", "ms" (best of 5, in-process), "rows"}.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync } from 'node:fs';

const [dbfile, dir, threads] = process.argv.slice(2);
const fresh = !existsSync(dbfile);
const db = await DuckDBInstance.create(dbfile, { threads: String(threads || 2) });
const con = await db.connect();
if (fresh) {
  const cols = `{Records: 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
    sourceIPAddress VARCHAR, userIdentity STRUCT(type VARCHAR, userName VARCHAR, arn VARCHAR,
    accessKeyId VARCHAR), requestParameters JSON, eventID VARCHAR)[]'}`;
  const t0 = performance.now();
  await con.run(`CREATE TABLE ev AS
    SELECT r.eventTime::TIMESTAMP AS time, r.eventSource AS service, r.eventName AS action,
           r.sourceIPAddress AS ip,
           coalesce(r.userIdentity.userName, regexp_extract(r.userIdentity.arn, '[^/]+$')) AS actor,
           r.userIdentity.accessKeyId AS access_key, r.eventID AS event_id,
           r.requestParameters AS request_parameters
    FROM (SELECT unnest(Records) AS r
          FROM read_json('${dir}/**/*.json.gz', columns = ${cols}, format = 'auto',
                         maximum_object_size = 1073741824))`);
  console.error(`duckdb: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const [ip, user, bucket, day] = process.argv.slice(5);
const qs = [
  ['stats count() by action', `SELECT action, count(*) FROM ev GROUP BY action`],
  ['pivot on one IP', `SELECT * FROM ev WHERE ip = '${ip}'`],
  ['count_distinct(ip) by actor', `SELECT actor, count(DISTINCT ip) FROM ev GROUP BY actor`],
  ['filter on a raw JSON path', `SELECT count(*) FROM ev WHERE service = 's3.amazonaws.com'
     AND json_extract_string(request_parameters, '$.bucketName') = '${bucket}'`],
  ['24 h timeline of one user', `SELECT * FROM ev WHERE actor = '${user}'
     AND time >= TIMESTAMP '${day}' AND time < TIMESTAMP '${day}' + INTERVAL 1 DAY ORDER BY time`],
];
// `ONE=i`: run query i once and exit (timed from outside as a whole process)
if (process.env.ONE !== undefined) {
  const r = await con.runAndReadAll(qs[Number(process.env.ONE)][1]);
  console.log(r.getRows().length);
  process.exit(0);
}
for (const [name, sql] of qs) {
  let best = Infinity, rows = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await con.runAndReadAll(sql);
    best = Math.min(best, performance.now() - t);
    rows = r.getRows().length;
  }
  console.log(JSON.stringify({ name, ms: +best.toFixed(1), rows }));
}
