// duckdb_load.mjs DIR THREADS — loads every *.json.gz CloudTrail file under DIR
// into a DuckDB table with the columns kumo's benchmark extracts (time,
// source, action, IP, actor ARN, access key, event id) and prints the row count.
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, threads] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: String(threads || 2) });
const con = await db.connect();
const cols = `{Records: 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
  sourceIPAddress VARCHAR, userIdentity STRUCT(arn VARCHAR, accessKeyId VARCHAR),
  eventID VARCHAR)[]'}`;
await con.run(`CREATE TABLE ct AS
  SELECT r.eventTime::TIMESTAMP AS time, r.eventSource AS source, r.eventName AS action,
         r.sourceIPAddress AS ip, r.userIdentity.arn AS arn,
         r.userIdentity.accessKeyId AS access_key, r.eventID AS event_id
  FROM (SELECT unnest(Records) AS r
        FROM read_json('${dir}/**/*.json.gz', columns = ${cols}, format = 'auto',
                       maximum_object_size = 1073741824))`);
const res = await con.runAndReadAll('SELECT count(*) FROM ct');
console.log(String(res.getRows()[0][0]));
