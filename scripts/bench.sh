#!/usr/bin/env bash
# Benchmark: the release server on a free loopback port with a fresh database, seeded through
# the app's own `xops seed` (organizations with 1, 100 and 10,000 AWS accounts, and another
# with 100 to keep isolation honest), loaded with wrk from a second process. Every figure is
# printed beside the ceiling measured in the same run (/healthz: same server, no database).
# It runs three times, same pages: on SQLite, then on a throwaway PostgreSQL cluster (one
# replica, then two) with the default NOTIFY-emptied session cache, then reading every session
# from the table; each run ends with a profile of where a page's time goes.
# Then one round of scheduled checks of 1,000 accounts against moto (and 50 Azure links against
# the Entra double, half by certificate, half by federated credential) while pages are loaded,
# then the onboarding of a 1,000-account AWS Organization in moto, and last the audit page of an
# organization with 1,000,000 audit rows.
# Usage: scripts/bench.sh [release|debug] [seconds per run] [org|audit|pages|engines|checks]
# (debug: a quick smoke run; org, audit, checks: that section alone; pages: the pages on SQLite and the first
# loads; engines: the pages on SQLite and PostgreSQL, with PostgreSQL's budget)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
seconds=${2:-5}
scripts/setup.sh --for-tests
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh "$profile"
bin="target/$profile/xops"

password="bench password 1"
sign_in() { # prints the session cookie of a fresh sign-in
  curl -s -o /dev/null -D - -X POST "$url/api/sign_in" -H "Origin: $url" \
    --data-urlencode "email=$1" --data-urlencode "password=$password" \
    | awk -F'[ ;]' 'tolower($1)=="set-cookie:" && $2 ~ /^xops_session=/ {print $2}'
}

bench_on() { # engine: sqlite, postgres or postgres-no-cache; leaves $work/results, $peak_rss, $url and $server
engine=$1
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# postgres: the default settings (sessions cached, emptied by NOTIFY); postgres-no-cache: every
# request reads its session from the table.
export XOPS_SESSION_CACHE=notify
# PostgreSQL shares this machine: its pool sized as the README advises, twice its cores.
export XOPS_DATABASE_POOL_SIZE=$((2 * $(nproc)))
[ "$engine" = postgres-no-cache ] && XOPS_SESSION_CACHE=none
if [ "$engine" != sqlite ]; then
  chmod 711 "$work"; mkdir "$work/pg"
  # pg_stat_statements for the profile (`profile_page`): a page's statements and their time.
  { read -r pg_url; read -r pg_pid; } < <(scripts/postgres.sh "$work/pg" -c shared_preload_libraries=pg_stat_statements)
  psql -q "$pg_url" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
  export DATABASE_URL="$pg_url"
else
  pg_pid=""
  export DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
fi
# The API's rate limit is still counted (a write per request, as in production), under a
# ceiling the load never reaches.
export XOPS_ADDR="127.0.0.1:$port" XOPS_PUBLIC_URL="$url" \
  XOPS_MASTER_KEY_FILE="$work/master.key" RUST_LOG=warn XOPS_API_REQUESTS_PER_MINUTE=1000000000
for n in 1 100 10000; do "$bin" seed "Bench $n" "bench$n@example.com" "$password" "$n" >/dev/null; done
"$bin" seed "Other" "other@example.com" "$password" 100 >/dev/null
"$bin" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server $pg_pid 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done

c1=$(sign_in bench1@example.com); c100=$(sign_in bench100@example.com); c10k=$(sign_in bench10000@example.com)
account=$(curl -s -X POST "$url/api/workspace" -H "Origin: $url" -H "Cookie: $c100" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][1]["id"])')
css=$(grep '^css:' "target/$profile/hash.txt" | awk '{print $2}')
# A read API token of the 100-account organization, made as its Owner would (shown once).
made=$(curl -s -o /dev/null -D - -X POST "$url/api/create_api_token" -H "Origin: $url" -H "Cookie: $c100" \
  --data-urlencode "name=Bench" --data-urlencode "scope=read" --data-urlencode "expires_in_days=30" --data-urlencode "allowed_networks=" \
  | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
api_token=$(curl -s -X POST "$url/api/api_token_once" -H "Origin: $url" -H "Cookie: $c100" --data-urlencode "id=${made##*created=}" | python3 -c 'import json,sys; print(json.load(sys.stdin))')

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BODY") or ""
LUA

# name|path|cookie (or "bearer:<token>")|post body ("" for GET)
targets=(
  "ceiling /healthz|/healthz||"
  "sign-in page|/signin||"
  "Home (100 accounts)|/|$c100|"
  "Integrations (1 account)|/integrations|$c1|"
  "Integrations (100 accounts)|/integrations|$c100|"
  "Integrations (10,000 accounts)|/integrations|$c10k|"
  "static /pkg css|/pkg/xops.$css.css||"
  "read fn: workspace (100)|/api/workspace|$c100|-"
  "write fn: rename_account|/api/rename_account|$c100|account_id=$account&name=Renamed"
  "API list (100 accounts)|/api/v1/accounts?limit=100|bearer:$api_token|"
)
results="$work/results"
: > "$results"
peak_rss=0
for conns in 1 32 128; do
  for t in "${targets[@]}"; do
    IFS='|' read -r name path cookie body <<<"$t"
    args=(-t "$(( conns < 2 ? 1 : 2 ))" -c "$conns" -d "${seconds}s" --latency -H "Origin: $url" -H "Accept-Encoding: gzip")
    case "$cookie" in
      "") ;;
      bearer:*) args+=(-H "Authorization: Bearer ${cookie#bearer:}") ;;
      *) args+=(-H "Cookie: $cookie") ;;
    esac
    if [ -n "$body" ]; then [ "$body" = "-" ] && body=""; args+=(-s "$work/post.lua"); fi
    out=$(BODY="$body" wrk "${args[@]}" "$url$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out")
    timeouts=$(awk '/Socket errors/ {print $NF}' <<<"$out")
    echo "$conns|$name|$rps|$p50|$p99|${errors:-0}|${timeouts:-0}" >> "$results"
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
    if [ "$rss" -gt "$peak_rss" ]; then peak_rss=$rss; fi
  done
done
}

report() {
python3 - "$results" "$peak_rss" "$engine" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
def ms(v, rps="1"):
    v = v.strip()
    if float(rps) == 0:
        return float("inf")  # nothing finished in time
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float("nan")
ceiling = {c: float(r) for c, n, r, *_ in rows if n == "ceiling /healthz"}
print(f"engine: {sys.argv[3]}")
print(f"{'conns':>5}  {'target':<32} {'req/s':>10} {'vs ceiling':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'timeouts':>8}")
for c, n, r, p50, p99, err, timeouts in rows:
    print(f"{c:>5}  {n:<32} {float(r):>10.0f} {float(r)/ceiling[c]:>9.0%} {ms(p50, r):>8.2f} {ms(p99, r):>8.2f} {err:>8} {timeouts:>8}")
def find(c, n):
    return next(r for r in rows if r[0] == c and r[1] == n)
signin = find("32", "sign-in page")
i100 = find("32", "Integrations (100 accounts)")
i10k = find("32", "Integrations (10,000 accounts)")
home = find("32", "Home (100 accounts)")
rss_mb = int(sys.argv[2]) / 1024
def as_fast_as_signin(name, row):
    rate, p99 = float(row[2]) / float(signin[2]), ms(row[4], row[2]) / ms(signin[4], signin[2])
    return [
        (f"{name}, 32 conns: {rate:.0%} of the sign-in page's req/s (at least 50%)", rate >= 0.5),
        (f"{name}, 32 conns: p99 {p99:.1f}x the sign-in page's (at most 2x)", p99 <= 2),
    ]
checks = as_fast_as_signin("Integrations, 100 accounts", i100) + as_fast_as_signin("Home, 100 accounts", home) + [
    ("Integrations, 100 accounts, 32 conns: p99 < 20 ms", ms(i100[4], i100[2]) < 20),
    ("Integrations, 10,000 accounts, 32 conns: p99 < 50 ms", ms(i10k[4], i10k[2]) < 50),
    ("Integrations, 10,000 accounts not 10x slower than 100", float(i10k[2]) * 10 > float(i100[2])),
    (f"server peak RSS {rss_mb:.0f} MB < 150 MB", rss_mb < 150),
]
print()
for text, ok in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {text}")
PY
}

stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; [ -n "$pg_pid" ] && kill "$pg_pid" 2>/dev/null || true; sleep 1; rm -rf "$work"; }

first_page_load() { # what a browser with an empty cache fetches for a page: HTML, CSS, JS, wasm
echo
for page in "sign-in page|/signin|" "Integrations (100 accounts)|/integrations|$c100"; do
  IFS='|' read -r name path cookie <<<"$page"
  headers=(-H "Cookie: $cookie")
  echo "First page load, $name (raw and compressed):"
  total_raw=0; total_gz=0
  for asset in "$path" $(grep -oE '/pkg/[^"]+\.(css|js|wasm)' <(curl -s "${headers[@]}" "$url$path") | sort -u); do
    raw=$(curl -s -o /dev/null "${headers[@]}" -w '%{size_download}' "$url$asset")
    gz=$(curl -s -o /dev/null "${headers[@]}" -H 'Accept-Encoding: gzip, br' -w '%{size_download}' "$url$asset")
    printf '  %-40s %9s B raw %9s B compressed\n' "$asset" "$raw" "$gz"
    total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  done
  printf '  %-40s %9s B raw %9s B compressed\n' total "$total_raw" "$total_gz"
  [ "$total_gz" -lt 102400 ] && echo "PASS  first load of the $name < 100 KB compressed" || echo "FAIL  first load of the $name < 100 KB compressed"
done
}

# One round of scheduled checks of 1,000 EKS accounts (each: AssumeRole with the External ID,
# GetCallerIdentity, and AssumeRole without it, refused) against moto behind the trust-policy
# guard, on SQLite, while wrk loads Home and Integrations of the same organization; the same
# pages are measured idle first.
# moto and the trust-policy guard on free ports, and the portal's environment to reach them
# with a fresh SQLite database in $work.
start_moto() {
work=$(mktemp -d)
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
moto_port=$(free); guard_port=$(free); port=$(free); url="http://127.0.0.1:$port"
target/tools/moto/bin/moto_server -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 & moto=$!
node end2end/doubles/sts-guard.mjs "$guard_port" "http://127.0.0.1:$moto_port" >/dev/null 2>&1 & guard=$!
trap 'kill $moto $guard ${server:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s "http://127.0.0.1:$guard_port/_guard/healthz" >/dev/null && curl -s "http://127.0.0.1:$moto_port/moto-api/" >/dev/null && break; sleep 0.2; done
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$guard_port" AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
  DATABASE_URL="sqlite://$work/checks.db?mode=rwc" XOPS_ADDR="127.0.0.1:$port" XOPS_PUBLIC_URL="$url" \
  XOPS_MASTER_KEY_FILE="$work/master.key" XOPS_MAIL_DIR="$work/mail" XOPS_SESSION_CACHE=none RUST_LOG=warn
}

check_round() {
start_moto
# Microsoft links against the Entra double: half sign in with a certificate, half through a
# federated credential (the double fetches the portal's JWKS for each of their checks).
entra_port=$(free); entra_url="http://127.0.0.1:$entra_port"
node end2end/doubles/entra.mjs "$entra_port" >/dev/null 2>&1 & entra=$!
trap 'kill $moto $guard $entra ${server:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$entra_url/healthz" >/dev/null && break; sleep 0.1; done
export AZURE_AUTHORITY_HOST="$entra_url" XOPS_AZURE_ARM_URL="$entra_url" XOPS_MS_GRAPH_URL="$entra_url"
"$bin" seed "Checks" "checks@example.com" "$password" 1000 eks >/dev/null
"$bin" > "$work/server.log" 2>&1 & server=$!
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
cookie=$(sign_in checks@example.com)
microsoft_links=${MICROSOFT_LINKS:-25}
python3 - "$url" "$cookie" "$entra_url" "$microsoft_links" <<'PY'
# Links N Azure accounts each way as a user does: the portal's own functions, the double's app.
import json, sys, urllib.parse, urllib.request
url, cookie, entra, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
class Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs): return None
opener = urllib.request.build_opener(Keep)
def call(path, form=None, body=None, portal=True):
    data = urllib.parse.urlencode(form).encode() if form is not None else body
    headers = {"Cookie": cookie, "Origin": url, "Accept": "application/json"} if portal else {}
    if data is not None and portal: headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        with opener.open(urllib.request.Request((url if portal else entra) + path, data=data, headers=headers)) as r: return r.read().decode()
    except urllib.error.HTTPError as e: return e.read().decode()
for i in range(2 * n):
    federated = i % 2 == 1
    tenant, app = f"72f988bf-86f1-41af-91ab-{i:012x}", f"0b6c4f3a-1d2e-4f5a-8b9c-{i:012x}"
    call("/_double/app", body=json.dumps({"tenant": tenant, "appId": app, "roles": []}).encode(), portal=False)
    form = {"service": "azure", "name": f"Azure {i}", "app_id": app, "tenant_id": tenant}
    if federated:
        v = json.loads(call("/api/show_federated_values", {"service": "azure"}))
        call("/_double/federated", body=json.dumps({"appId": app, "issuer": v["issuer"], "subject": v["subject"], "audience": v["audience"]}).encode(), portal=False)
        form.update(signs_in="federated", subject_id=v["id"])
    else:
        c = json.loads(call("/api/generate_certificate", {"service": "azure"}))
        call("/_double/upload", body=json.dumps({"appId": app, "pem": call(c["download_url"])}).encode(), portal=False)
        form.update(certificate_id=c["id"])
    call("/api/link_microsoft_account", form)
PY
load() { # prints "req/s p99" for 32 connections on $1
  out=$(wrk -t 2 -c 32 -d "${seconds}s" --latency -H "Cookie: $cookie" -H "Accept-Encoding: gzip" "$url$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}
echo
echo "=== scheduled checks: one round of 1,000 EKS accounts against moto and $((2 * microsoft_links)) Azure links against the Entra double (SQLite, XOPS_CHECK_CONCURRENCY=${XOPS_CHECK_CONCURRENCY:-8}) ==="
idle_home=$(load /); idle_list=$(load /integrations/eks)
"$bin" check-round > "$work/round.txt" 2>"$work/round.log" & round=$!
busy_home=$(load /); busy_list=$(load /integrations/eks)
wait "$round" || { cat "$work/round.log"; echo "FAIL  the check round did not finish"; }
grep "^checked" "$work/round.txt"
python3 - "$work/checks.db" "$microsoft_links" <<'PY'
# How the Microsoft links fared in the round, by the way they sign in.
import sqlite3, sys
db, n = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
for way, table in (("certificate", "certificates"), ("federated credential", "federated_subjects")):
    total, connected = db.execute(
        f"SELECT COUNT(*), COALESCE(SUM(a.status = 'connected'), 0) FROM cloud_accounts a WHERE a.provider = 'azure' "
        f"AND EXISTS (SELECT 1 FROM {table} t WHERE t.account_id = a.id)").fetchone()
    verdict = "PASS" if total == n and connected == n else "FAIL"
    print(f"{verdict}  Azure links by {way}: {connected} of {total} connected after the round (of {n} linked)")
PY
printf '  %-32s %12s %12s\n' "32 conns, req/s and p99" idle "during the round"
printf '  %-32s %12s %12s\n' "Home (1,000 accounts)" "$idle_home" "$busy_home"
printf '  %-32s %12s %12s\n' "EKS list (1,000 accounts)" "$idle_list" "$busy_list"
kill "$server" "$moto" "$guard" "$entra" 2>/dev/null || true; wait "$server" 2>/dev/null || true
rm -rf "$work"
}

# Organization onboarding: a moto AWS Organization of 1,000 member accounts in 20 units (two
# levels) is read from its management account and linked in one Link accounts run (each
# account: AssumeRole with the External ID, GetCallerIdentity, AssumeRole without it), then
# the tree page is loaded (the root's page, and a unit of 60 accounts) beside /healthz.
org_round() {
start_moto
export RUST_LOG=warn,xops::integrations::aws::organization=info
echo
echo "=== organization onboarding: 1,000 member accounts in moto (SQLite) ==="
built=$(date +%s.%N)
unit=$(target/tools/moto/bin/python - "http://127.0.0.1:$moto_port" <<'PY'
import boto3, sys
o = boto3.client("organizations", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
o.create_organization(FeatureSet="ALL")
root = o.list_roots()["Roots"][0]["Id"]
leaves = []
for t in range(4):
    top = o.create_organizational_unit(ParentId=root, Name=f"Division {t}")["OrganizationalUnit"]["Id"]
    leaves.append(top)
    for c in range(4):
        leaves.append(o.create_organizational_unit(ParentId=top, Name=f"Team {t}.{c}")["OrganizationalUnit"]["Id"])
for i in range(1000):
    account = o.create_account(Email=f"member{i}@example.com", AccountName=f"Member {i:04}")["CreateAccountStatus"]["AccountId"]
    o.move_account(AccountId=account, SourceParentId=root, DestinationParentId=leaves[i % len(leaves)])
print(leaves[1])
PY
)
echo "  moto organization built in $(python3 -c "import time; print(round(time.time() - $built, 1))") s"
"$bin" seed "Org bench" "org@example.com" "$password" 0 >/dev/null
"$bin" > "$work/server.log" 2>&1 & server=$!
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
cookie=$(sign_in org@example.com)
call() { curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/$1" -H "Origin: $url" -H "Cookie: $cookie" "${@:2}"; }
call link_aws_account --data "kind=management&name=Payer&role_arn=arn:aws:iam::123456789012:role/XopsReadOnlyAccess" >/dev/null
mgmt=$(curl -s -X POST "$url/api/workspace" -H "Origin: $url" -H "Cookie: $cookie" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["id"])')
t0=$(date +%s.%N); status=$(call read_aws_organization --data "account_id=$mgmt"); t1=$(date +%s.%N)
requests=$(sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" | grep -o 'requests=[0-9]*' | tail -1 | cut -d= -f2 || true)
echo "  read the organization: $(python3 -c "print(round($t1 - $t0, 2))") s, $requests requests to AWS Organizations (HTTP $status)"
t0=$(date +%s.%N); call link_organization_accounts --data "account_id=$mgmt&scope=all" >/dev/null
progress() { curl -s -X POST "$url/api/aws_organization_progress" -H "Origin: $url" -H "Cookie: $cookie" --data "account_id=$mgmt"; }
until progress | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if r and not r["running"] else 1)'; do sleep 0.5; done
t1=$(date +%s.%N)
echo "  Link accounts: $(progress | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["linked"], "linked,", r["failed"], "failed")') in $(python3 -c "print(round($t1 - $t0, 1))") s, 3 STS requests per account, ${XOPS_CHECK_CONCURRENCY:-8} at a time"
echo "  server peak memory: $(( $(awk '/VmHWM/ {print $2}' "/proc/$server/status") / 1024 )) MB"
load() { # prints "req/s p99" for 32 connections on $1
  out=$(wrk -t 2 -c 32 -d "${seconds}s" --latency -H "Cookie: $cookie" -H "Accept-Encoding: gzip" "$url$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}
printf '  %-40s %s\n' "32 conns: req/s p99" ""
printf '  %-40s %s\n' "ceiling /healthz" "$(load /healthz)"
signin=$(load /signin); tree=$(load "/accounts/$mgmt/organization")
printf '  %-40s %s\n' "sign-in page" "$signin"
printf '  %-40s %s\n' "tree page, root (1,000 accounts)" "$tree"
printf '  %-40s %s\n' "tree page, a unit of 60 accounts" "$(load "/accounts/$mgmt/organization?unit=$unit")"
printf '  %-40s %s\n' "page size (root), bytes" "$(curl -s -o /dev/null -w '%{size_download}' -H "Cookie: $cookie" "$url/accounts/$mgmt/organization")"
python3 - "$signin" "$tree" <<'PY'
import sys
def parse(v):
    rps, p99 = v.split()
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if p99.endswith(unit):
            return float(rps), float(p99[: -len(unit)]) * f
(s_rps, s_p99), (t_rps, t_p99) = parse(sys.argv[1]), parse(sys.argv[2])
print(f"{'PASS' if t_rps >= 0.5 * s_rps else 'FAIL'}  tree page (1,000 accounts), 32 conns: {t_rps / s_rps:.0%} of the sign-in page's req/s (at least 50%)")
print(f"{'PASS' if t_p99 <= 2 * s_p99 else 'FAIL'}  tree page (1,000 accounts), 32 conns: p99 {t_p99 / s_p99:.1f}x the sign-in page's (at most 2x)")
PY
kill "$server" "$moto" "$guard" 2>/dev/null || true; wait "$server" 2>/dev/null || true
rm -rf "$work"
}

# The audit page of an organization with 1,000,000 audit rows (SQLite), unfiltered and under
# each filter, and the older page from the middle of the trail, beside /healthz and the sign-in
# page; then how long the CSV of a filter and of the whole trail take to download.
audit_round() {
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$work/audit.db?mode=rwc" XOPS_ADDR="127.0.0.1:$port" XOPS_PUBLIC_URL="$url" \
  XOPS_MASTER_KEY_FILE="$work/master.key" XOPS_MAIL_DIR="$work/mail" XOPS_SESSION_CACHE=none RUST_LOG=warn
echo
echo "=== audit page: an organization with 1,000,000 audit rows (SQLite) ==="
org=$("$bin" seed "Audit bench" "audit@example.com" "$password" 100 | awk '{print $2}' | tr -d :)
other=$("$bin" seed "Other" "other@example.com" "$password" 100 | awk '{print $2}' | tr -d :)
echo "  $("$bin" seed-audit "$org" 1000000)"
"$bin" seed-audit "$other" 1000 >/dev/null
"$bin" > "$work/server.log" 2>&1 & server=$!
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
cookie=$(sign_in audit@example.com)
sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect('$work/audit.db').execute(sys.argv[1], ($org,)).fetchone()[0])" "$1"; }
middle=$(sql "SELECT created_at || '.' || id FROM audit_log WHERE organization_id=? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 500000")
account=$(sql 'SELECT MIN(id) FROM cloud_accounts WHERE organization_id=?')
day=$(date -u -d '-180 days' +%F); month_end=$(date -u -d '-150 days' +%F)
load() { # prints "req/s p99" for 32 connections on $1
  out=$(wrk -t 2 -c 32 -d "${seconds}s" --latency -H "Cookie: $cookie" -H "Accept-Encoding: gzip" "$url$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}
printf '  %-44s %s\n' "32 conns: req/s p99" ""
ceiling=$(load /healthz)
printf '  %-44s %s\n' "ceiling /healthz" "$ceiling" "sign-in page" "$(load /signin)"
# The same page (50 rows of an organization of 100 accounts) over a trail of 1,000 rows: what
# 1,000,000 rows cost, if anything.
small=$cookie; cookie=$(sign_in other@example.com)
printf '  %-44s %s\n' "newest page, a trail of 1,000 rows" "$(load /audit)"
cookie=$small
for target in "newest page|/audit" "one action (role changes)|/audit?action=role_changed" "Xops itself|/audit?member=xops" \
  "one account (a fifth of the rows)|/audit?account=$account" \
  "one day, 180 days ago|/audit?from=$day&to=$day" "a month, 180 to 150 days ago|/audit?from=$day&to=$month_end" \
  "older page from the middle|/audit?before=$middle"; do
  IFS='|' read -r name path <<<"$target"
  result=$(load "$path")
  printf '  %-44s %s  (%s of the ceiling)\n' "$name" "$result" \
    "$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.0%}")' "${result%% *}" "${ceiling%% *}")"
done
for target in "CSV, one action (~31,000 rows)|action=sign_in" "CSV, the whole trail (1,000,000 rows)|"; do
  IFS='|' read -r name query <<<"$target"
  out=$(curl -s -o /dev/null -H "Cookie: $cookie" -w '%{time_total} %{size_download} %{http_code}' "$url/audit/export.csv?$query")
  read -r seconds_taken bytes code <<<"$out"
  printf '  %-44s %s s, %s MB (HTTP %s)\n' "$name" "$seconds_taken" "$(( bytes / 1048576 ))" "$code"
done
echo "  server peak memory: $(( $(awk '/VmHWM/ {print $2}' "/proc/$server/status") / 1024 )) MB"
kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
rm -rf "$work"
}

# Where one page's time goes, on the engine running: the server's and PostgreSQL's CPU per
# request (from /proc, both cores being busy), and on PostgreSQL the statements per request and
# their execution time inside the database (pg_stat_statements).
profile_page() { # name path cookie
  local ticks_per_s; ticks_per_s=$(getconf CLK_TCK)
  # User and system time of each process and of its children that have exited (a backend
  # that ends is counted in PostgreSQL's postmaster).
  cpu_of() { for p in "$@"; do awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null; done | awk '{t += $1} END {print t + 0}'; }
  descendants() { local child; for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done; }
  local backends=""; [ -n "$pg_pid" ] && backends=$(descendants "$pg_pid")
  [ -n "$pg_pid" ] && psql -q "$pg_url" -c "SELECT pg_stat_statements_reset()" >/dev/null
  local server0 pg0 out
  server0=$(cpu_of "$server"); pg0=$(cpu_of $pg_pid $backends)
  out=$(wrk -t 2 -c 32 -d "${seconds}s" -H "Cookie: $3" "$url$2")
  local server1 pg1 requests
  [ -n "$pg_pid" ] && backends=$(descendants "$pg_pid")
  server1=$(cpu_of "$server"); pg1=$(cpu_of $pg_pid $backends)
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  local statements="" in_db=""
  if [ -n "$pg_pid" ]; then
    read -r statements in_db < <(psql -qtA -F ' ' "$pg_url" -c "SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(total_exec_time), 0) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")
  fi
  python3 - "$1" "$requests" "$((server1 - server0))" "$((pg1 - pg0))" "$ticks_per_s" "$statements" "$in_db" <<'PY'
import sys
name, requests, server, pg, hz, statements, in_db = sys.argv[1:]
n = int(requests)
line = f"  {name}: {n} requests; CPU per request: server {int(server) / int(hz) / n * 1000:.3f} ms"
if statements:
    line += f", PostgreSQL {int(pg) / int(hz) / n * 1000:.3f} ms; {int(statements) / n:.2f} statements per request, {float(in_db) / n:.3f} ms of them executing"
print(line)
PY
}

profile() {
  echo; echo "Profile, 32 connections ($engine):"
  profile_page "Integrations (1 account)" /integrations "$c1"
  profile_page "Integrations (100 accounts)" /integrations "$c100"
  profile_page "Home (100 accounts)" / "$c100"
  if [ "$engine" = postgres ]; then two_replicas; fi
}

# A second replica on the same PostgreSQL, same settings and public URL, as behind a load
# balancer: wrk's two threads take one replica each (16 connections apiece), and the sum is
# printed beside one replica alone with 32 connections (this run's figures).
two_replicas() {
  local port_b; port_b=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  XOPS_ADDR="127.0.0.1:$port_b" "$bin" > "$work/replica-b.log" 2>&1 &
  local replica_b=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port_b/healthz" >/dev/null && break; sleep 0.1; done
  cat > "$work/replicas.lua" <<'LUA'
local ports = { os.getenv("PORT_A"), os.getenv("PORT_B") }
local started = 0
function setup(thread)
  started = started + 1
  thread.addr = wrk.lookup("127.0.0.1", ports[(started - 1) % 2 + 1])[1]
end
if os.getenv("BODY") ~= "" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = os.getenv("BODY")
end
LUA
  echo; echo "Two replicas on one PostgreSQL, 32 connections split between them (req/s):"
  local t name path cookie body out rps alone
  for t in "Integrations (1 account)|/integrations|$c1|" "Integrations (100 accounts)|/integrations|$c100|" \
    "Home (100 accounts)|/|$c100|" "write fn: rename_account|/api/rename_account|$c100|account_id=$account&name=Renamed"; do
    IFS='|' read -r name path cookie body <<<"$t"
    out=$(PORT_A="$port" PORT_B="$port_b" BODY="$body" wrk -t 2 -c 32 -d "${seconds}s" -s "$work/replicas.lua" \
      -H "Origin: $url" -H "Accept-Encoding: gzip" -H "Cookie: $cookie" "$url$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    alone=$(awk -F'|' -v n="$name" '$1 == "32" && $2 == n {print $3}' "$results")
    printf '  %-32s two replicas %8.0f   one replica %8.0f\n' "$name" "$rps" "$alone"
  done
  kill "$replica_b" 2>/dev/null || true; wait "$replica_b" 2>/dev/null || true
}

# Every target on PostgreSQL (with and without the session cache) against the same target on
# SQLite, from the three runs' results kept in $kept: the budget of PostgreSQL at least 70% of
# SQLite's req/s for every page and the rename, at 32 connections.
compare_engines() {
python3 - "$kept" <<'PY'
import sys, os
def load(engine):
    path = os.path.join(sys.argv[1], engine)
    return {(c, n): float(r) for c, n, r, *_ in (l.rstrip("\n").split("|") for l in open(path))} if os.path.exists(path) else {}
sqlite = load("sqlite")
print()
for engine in ("postgres", "postgres-no-cache"):
    other = load(engine)
    if not other:
        continue
    print(f"{engine} against sqlite, 32 connections (req/s):")
    for (c, n), rate in sqlite.items():
        if c != "32" or n.startswith("ceiling") or n.startswith("static") or (c, n) not in other:
            continue
        share = other[(c, n)] / rate
        budget = n.startswith(("sign-in", "Home", "Integrations", "write fn"))
        verdict = ("PASS" if share >= 0.7 else "FAIL") if budget else "    "
        print(f"{verdict}  {n:<32} {other[(c, n)]:>8.0f} vs {rate:>8.0f}  {share:>4.0%}{'  (at least 70%)' if budget else ''}")
PY
}

# `scripts/bench.sh release 5 org` runs the organization section alone; `... audit` the audit
# page's; `... pages` the pages on SQLite and the first page loads; `... engines` the pages on
# each engine and PostgreSQL's budget against SQLite.
kept=$(mktemp -d)
keep() { cp "$results" "$kept/$engine"; }
if [ "${3:-}" = engines ]; then
  for engine in sqlite postgres postgres-no-cache; do
    echo; echo "=== $engine ==="; bench_on "$engine"; report; keep; profile; stop
  done
  compare_engines; rm -rf "$kept"; exit 0
fi
if [ "${3:-}" = org ]; then org_round; exit 0; fi
if [ "${3:-}" = checks ]; then check_round; exit 0; fi
if [ "${3:-}" = audit ]; then audit_round; exit 0; fi
if [ "${3:-}" = pages ]; then
  echo; echo "=== sqlite ==="; bench_on sqlite; report; first_page_load; stop; exit 0
fi
for engine in sqlite postgres postgres-no-cache; do
  echo
  echo "=== $engine ==="
  bench_on "$engine"
  report
  keep
  profile
  if [ "$engine" = sqlite ]; then first_page_load; fi
  stop
done
compare_engines; rm -rf "$kept"
check_round
org_round
audit_round
