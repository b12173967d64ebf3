# The test server: nginx with a small JSON API and a UDP echo, both in the server namespace.
# Sourced by run-inline-tests.sh after netns.sh. SERVER_DIR must be set to a temporary directory
# owned by this run; everything the server reads or writes lives under it.

UDP_ECHO_PORT=9000
BIG_FILE_MIB=6
USER_IDS=(1 2 3)
# The body that nginx.conf.in returns for POST /api/v1/orders. The two must stay equal.
ORDER_BODY='{"order_id":5001,"status":"created"}'
# GET /api/v1/reports/7 returns about 20 KB of JSON with SECRET_MARKER in the
# middle, so that a block on the response drops the rest of a body that has already begun.
# rules-policy.yaml blocks responses whose body contains SECRET_MARKER; the two must stay equal.
SECRET_URL=/api/v1/reports/7
SECRET_MARKER=TOP-SECRET
SECRET_ROWS=200

# Writes the static API files and a BIG_FILE_MIB MiB random file, and stores its SHA-256 in
# BIG_SHA256.
server_prepare() {
  local inline_dir=$1
  mkdir -p "$SERVER_DIR/www/users" || return 1
  local id
  for id in "${USER_IDS[@]}"; do
    printf '{"id":%s,"name":"user-%s","email":"user%s@example.test","roles":["reader"]}\n' \
      "$id" "$id" "$id" >"$SERVER_DIR/www/users/$id.json" || return 1
  done
  server_write_secret_report "$SERVER_DIR/www/reports/7.json" || return 1
  head -c "$((BIG_FILE_MIB * 1024 * 1024))" /dev/urandom >"$SERVER_DIR/www/big" || return 1
  BIG_SHA256=$(sha256sum "$SERVER_DIR/www/big" | cut -d' ' -f1)
  sed -e "s|@DIR@|$SERVER_DIR|g" -e "s|@SERVER_IP@|$SERVER_IP|g" \
    "$inline_dir/nginx.conf.in" >"$SERVER_DIR/nginx.conf"
}

# Writes the JSON report of SECRET_URL to `file`: SECRET_ROWS rows before the marker and as many
# after it, 50 bytes each. The marker sits in a fake US social security number record.
server_write_secret_report() {
  local file=$1 row
  mkdir -p "$(dirname "$file")" || return 1
  {
    printf '{"report":7,"rows":['
    for ((row = 0; row < SECRET_ROWS; row++)); do
      printf '{"row":%d,"region":"north","amount":%8d},\n' "$((10000 + row))" "$((row * 37))"
    done
    printf '{"classification":"%s","ssn":"078-05-1120"},\n' "$SECRET_MARKER"
    for ((row = SECRET_ROWS; row < 2 * SECRET_ROWS; row++)); do
      printf '{"row":%d,"region":"south","amount":%8d},\n' "$((10000 + row))" "$((row * 37))"
    done
    printf '{"end":true}]}\n'
  } >"$file"
}

# Waits up to `tries` tenths of a second for a TCP or UDP listener on `port` in the server
# namespace.
server_wait_listen() {
  local protocol=$1 port=$2 tries=${3:-50}
  while ((tries-- > 0)); do
    ns_server ss -Hln"$protocol" "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

server_start() {
  ip netns exec "$NS_SERVER" nginx -e "$SERVER_DIR/error.log" -p "$SERVER_DIR" -c "$SERVER_DIR/nginx.conf" \
    >"$SERVER_DIR/nginx.out" 2>&1 &
  NGINX_PID=$!
  # Each datagram gets its own child that writes it back to the sender.
  ip netns exec "$NS_SERVER" socat "UDP4-RECVFROM:$UDP_ECHO_PORT,bind=$SERVER_IP,fork" PIPE \
    >"$SERVER_DIR/socat.out" 2>&1 &
  UDP_ECHO_PID=$!
  if ! server_wait_listen t 80; then
    echo "server: nginx is not listening on port 80; its log:" >&2
    cat "$SERVER_DIR/nginx.out" "$SERVER_DIR/error.log" >&2 2>/dev/null
    return 1
  fi
  if ! server_wait_listen u "$UDP_ECHO_PORT"; then
    echo "server: the UDP echo is not listening on port $UDP_ECHO_PORT; its log:" >&2
    cat "$SERVER_DIR/socat.out" >&2
    return 1
  fi
}

server_stop() {
  local pid
  for pid in ${NGINX_PID:-} ${UDP_ECHO_PID:-}; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  NGINX_PID=
  UDP_ECHO_PID=
}

# Counts the lines of nginx's access log that contain the text $1.
server_log_count() {
  grep -cF -- "$1" "$SERVER_DIR/access.log" 2>/dev/null || true
}
