filter outcome = "failure" and action like /^Console/
  | stats count() as n, count_distinct(src.ip) as ips by actor.name, bin(1h)
  | sort n desc
  | limit 20