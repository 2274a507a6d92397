#!/usr/bin/env bash
# Checks the README's start command end to end on an empty data directory: `npm start` must seed
# the demo workspace, become ready (/readyz 200), answer an authenticated request with the printed
# demo key, stop cleanly on SIGTERM, and start again on the warm directory. Prints both start times.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=$(mktemp -d)
port=${SMOKE_PORT:-38080}
pg_port=${SMOKE_PG_PORT:-38432}
log=$(mktemp)
cleanup() { [ -n "${pid:-}" ] && kill -TERM -- "-$pid" 2>/dev/null || true; sleep 1; rm -rf "$data_dir" "$log"; }
trap cleanup EXIT

start_once() {
  : >"$log"
  local started=$(date +%s%N)
  # Own process group, so SIGTERM reaches the service itself and not only npm (which does not
  # forward it), just as Ctrl-C reaches the whole foreground group in a terminal.
  OPENAI_API_KEY= OPENAI_BASE_URL= NEREID_DATA_DIR="$data_dir" PORT="$port" NEREID_EMBEDDED_PG_PORT="$pg_port" LOG_LEVEL=warn setsid npm start --silent >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1800); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      local ready=$(date +%s%N)
      echo "$1 start: ready in $(( (ready - started) / 1000000 )) ms" >&2
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; echo "npm start exited early" >&2; exit 1; fi
    sleep 0.1
  done
  cat "$log" >&2; echo "not ready within 180 s" >&2; exit 1
}

stop_once() {
  kill -TERM -- "-$pid"
  wait "$pid" || true
  pid=
  # The service removes its lock file only after closing the database cleanly.
  for _ in $(seq 1 100); do
    [ -e "$data_dir/nereid.lock" ] || { grep -q "shutting down" "$log" && return 0; }
    sleep 0.1
  done
  cat "$log" >&2; echo "the service did not shut down cleanly on SIGTERM" >&2; exit 1
}

start_once cold
sleep 0.5
key=$(grep -oE 'nrd_[a-z0-9]{12}_[A-Za-z0-9_-]{43}' "$log" | head -n 1)
user=$(grep -oE 'X-Nereid-User: [^"]+' "$log" | head -n 1 | cut -d' ' -f2)
[ -n "$key" ] || { cat "$log" >&2; echo "no demo API key printed" >&2; exit 1; }
deals=$(curl -fsS -H "Authorization: Bearer $key" -H "X-Nereid-User: $user" "http://127.0.0.1:$port/v1/deals?limit=100")
count=$(node -e 'console.log(JSON.parse(process.argv[1]).data.length)' "$deals")
echo "demo deals listed with the printed key: $count" >&2
[ "$count" -gt 0 ]
# Chat answers with no model configured (search mode), as an SSE UI message stream.
answer=$(curl -fsS -N -H "Authorization: Bearer $key" -H "X-Nereid-User: $user" \
  -H 'content-type: application/json' "http://127.0.0.1:$port/v1/chat" \
  -d '{"id":"smoke","messages":[{"role":"user","parts":[{"type":"text","text":"What is the refund policy?"}]}]}')
echo "$answer" | grep -q 'No language model is configured' || { echo "$answer" >&2; echo "chat did not answer in search mode" >&2; exit 1; }
echo "$answer" | grep -q '"type":"finish"' || { echo "$answer" >&2; echo "chat stream did not finish" >&2; exit 1; }
echo "chat answered in search mode" >&2
# The demo page embeds the widget; its token opens the widget's WebSocket.
curl -fsS "http://127.0.0.1:$port/" | grep -q 'src="/widget.js"' || { echo "no demo page at /" >&2; exit 1; }
widget_js=$(curl -fsS "http://127.0.0.1:$port/widget.js")
case "$widget_js" in *Nereid*) ;; *) echo "/widget.js is missing" >&2; exit 1 ;; esac
token=$(curl -fsS -X POST "http://127.0.0.1:$port/demo/widget-token" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
node -e '
  const { WebSocket } = require("ws")
  const socket = new WebSocket(`ws://127.0.0.1:${process.argv[1]}/v1/ws?token=${encodeURIComponent(process.argv[2])}`, { origin: `http://127.0.0.1:${process.argv[1]}` })
  const timer = setTimeout(() => { console.error("no ready message on the widget socket"); process.exit(1) }, 10000)
  socket.on("message", (data) => { if (JSON.parse(String(data)).type === "ready") { clearTimeout(timer); socket.close(); process.exit(0) } })
  socket.on("error", (error) => { console.error(error.message); process.exit(1) })
' "$port" "$token"
echo "demo page, widget.js and the widget socket work" >&2
stop_once
start_once warm
sleep 0.5
grep -q "$key" "$log" || { cat "$log" >&2; echo "the warm start printed a different demo key" >&2; exit 1; }
stop_once
echo "smoke start: ok" >&2
