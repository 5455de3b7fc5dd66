#!/bin/sh
# demo.sh — kumo's main job end to end: generate a realistic organisation's
# logs in AWS, Azure and Google Cloud with planted attacks, ingest them into a
# fresh store, ask it questions, hunt, and end with the cross-cloud incident
# and the attacker's timeline.
set -e
cd "$(dirname "$0")/.."
K=./kumo
DATA=demo-data
STORE=demo-data/store
EVENTS=${DEMO_EVENTS:-200000}
rm -rf "$DATA"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "1. Generate $EVENTS events of one organisation in AWS, Azure and Google Cloud, as each exports them, with attacks planted" \
     "kumo gen --out $DATA/logs --events $EVENTS --seed 42 --providers aws,azure,gcp --scenarios all"
$K gen --out "$DATA/logs" --events "$EVENTS" --seed 42 --providers aws,azure,gcp --scenarios all
for d in AWSLogs insights-logs-signinlogs insights-activity-logs cloudaudit.googleapis.com; do
  f=$(find "$DATA/logs/$d" -type f | sort | head -n 1)
  echo "    $f  (+ $(find "$DATA/logs/$d" -type f | wc -l) files)"
done

step "2. Acquire them: originals into the vault, events into the store" \
     "kumo --store $STORE ingest $DATA/logs"
$K --store "$STORE" ingest "$DATA/logs"

step "3. What evidence do we hold?" "kumo --store $STORE stats"
$K --store "$STORE" stats

step "4. Pivot on a suspicious IP address, across three clouds" "kumo --store $STORE events --ip 203.0.113.66"
$K --store "$STORE" events --ip 203.0.113.66

who=$($K --store "$STORE" events --ip 203.0.113.66 --source gcp.audit.activity --format jsonl --limit 1 |
      sed -n 's/.*"actor.email":"\([^"]*\)".*/\1/p')
step "4b. Follow that person across clouds by e-mail (one key for Entra, GCP and AWS SSO): a timeline" \
     "kumo --store $STORE timeline --actor $who --since 2026-10-02T22:00:00Z --until 2026-10-03T04:00:00Z"
$K --store "$STORE" timeline --actor "$who" --since 2026-10-02T22:00:00Z --until 2026-10-03T04:00:00Z

step "4b'. Everything about the suspicious address in one summary" "kumo --store $STORE entity 203.0.113.66"
$K --store "$STORE" entity 203.0.113.66 --top 5

step "4c. Ask a question in the pipe language: who failed to sign in most, from how many addresses? (Entra's MFA and 'stay signed in' prompts are outcome interrupted, not failures; expired tokens are non-interactive refreshes)" \
     "kumo --store $STORE query 'filter category = \"authentication\" and outcome = \"failure\" and action != \"NonInteractiveUserSignInLogs\" | stats count() as failures, count_distinct(src.ip) as ips, latest(error.code) as code by provider, actor.name | sort failures desc | limit 8'"
$K --store "$STORE" query 'filter category = "authentication" and outcome = "failure" and action != "NonInteractiveUserSignInLogs" | stats count() as failures, count_distinct(src.ip) as ips, latest(error.code) as code by provider, actor.name | sort failures desc | limit 8'

step "4c'. How Entra sign-ins ended, by result code" \
     "kumo --store $STORE query 'filter source = \"azure.signin\" and outcome != \"success\" | stats count() as n by outcome, error.code | sort n desc'"
$K --store "$STORE" query 'filter source = "azure.signin" and outcome != "success" | stats count() as n by outcome, error.code | sort n desc'

step "4d. And what did the suspicious address do, hour by hour?" \
     "kumo --store $STORE query 'filter src.ip = \"203.0.113.66\" | stats count() as events, earliest(action) as first, latest(action) as last by bin(1h) as hour, provider | sort hour'"
$K --store "$STORE" query 'filter src.ip = "203.0.113.66" | stats count() as events, earliest(action) as first, latest(action) as last by bin(1h) as hour, provider | sort hour'

step "5. Who stopped logging?" "kumo --store $STORE events --action StopLogging --format jsonl"
$K --store "$STORE" events --action StopLogging --format jsonl --limit 3

step "6. One event in full, with its exact original record" "kumo --store $STORE show EVENT_ID"
id=$($K --store "$STORE" events --action StopLogging --format jsonl --limit 1 | sed -n 's/.*"event_id":"\([^"]*\)".*/\1/p')
$K --store "$STORE" show "$id"

step "7. Re-ingesting the same files adds nothing" "kumo --store $STORE ingest $DATA/logs"
$K --store "$STORE" ingest -q "$DATA/logs" --json | sed 's/,"rejects".*//' | tr ',' '\n' | grep -E 'files"|already|events_new|duplicate"'

step "8. Is the evidence intact?" "kumo --store $STORE verify"
$K --store "$STORE" verify

step "9. Who is who: one person's IAM Identity Center session, Entra account and Google principal" \
     "kumo --store $STORE identities --person $who"
$K --store "$STORE" identities --person "$who" | head -n 14

step "10. Hunt: every detection over every event, findings recorded under custody" "kumo --store $STORE hunt"
$K --store "$STORE" hunt

step "11. What did the hunt find? (high and critical)" "kumo --store $STORE findings --severity high"
$K --store "$STORE" findings --severity high

step "12. Findings that share an address, a person, a key or a role, grouped into incidents across clouds" \
     "kumo --store $STORE incidents"
$K --store "$STORE" incidents

# the incident that spans three clouds: the attacker's address from the generator's ground truth
atk=$(python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
print([s for s in t['scenarios'] if s['scenario'] == 'incident'][0]['entities']['ips'][0])" \
  "$DATA/logs/kumo-ground-truth.json")
inc=$($K --store "$STORE" incidents --json | python3 -c "
import json, sys
print(next(i['id'] for i in json.load(sys.stdin) if sys.argv[1] in i['entities']['ips']))" "$atk")
step "13. One incident's storyline: the attacker at $atk in Entra ID, Azure, AWS and Google Cloud" \
     "kumo --store $STORE incident $inc"
$K --store "$STORE" incident "$inc"

step "14. And everything that address did, in time order, across the three clouds" \
     "kumo --store $STORE timeline --ip $atk"
$K --store "$STORE" timeline --ip "$atk"
