#!/usr/bin/env bash
# //deploy:manifests_test: check_manifests.py passes on deploy/ as committed,
# and fails, for the expected reason, on copies of it broken one way each (a
# checker that passes everything would pass the first part alone).
# Arguments: the binaries whose settings the manifests may use.
set -uo pipefail

checker=deploy/check_manifests.py
bins=()
for binary in "$@"; do bins+=(--binary "$binary"); done
work=${TEST_TMPDIR:-$(mktemp -d)}

run_checker() { # DIR: a copy of deploy/
  python3 "$checker" "${bins[@]}" \
    --dockerfile "$1/Dockerfile" "$1/k8s"
}

# One <testcase> per check, so ./dev test counts them.
cases=() failures=0
record() { # NAME OK [OUTPUT]
  local name=${1//&/&amp;} entry
  name=${name//</&lt;} name=${name//\"/&quot;}
  if (($2)); then
    entry="<testcase name=\"$name\"/>"
  else
    failures=$((failures + 1))
    entry="<testcase name=\"$name\"><failure message=\"$name\"><![CDATA[${3//]]>/]] >}]]></failure></testcase>"
    printf 'FAIL: %s\n%s\n\n' "$1" "$3"
  fi
  cases+=("$entry")
}

output=$(run_checker deploy 2>&1)
rc=$?
printf '%s\n\n' "$output"
record "deploy/ as committed passes" $((rc == 0)) "$output"

n=0
# broken NAME EXPECTED FILE OLD NEW: deploy/ with the first OLD in FILE
# replaced by NEW must fail, and say EXPECTED.
broken() {
  local name=$1 expected=$2 file=$3 old=$4 new=$5 dir
  n=$((n + 1))
  dir=$work/case$n
  rm -rf "$dir" && mkdir -p "$dir" &&
    cp -RL deploy/k8s deploy/Dockerfile "$dir/" || exit 1
  if ! output=$(python3 - "$dir/$file" "$old" "$new" 2>&1 <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if old not in text:
    sys.exit(f"{old!r} is not in {path}: the case no longer breaks anything")
open(path, "w").write(text.replace(old, new, 1))
PY
  ); then
    record "$name" 0 "$output"
    return
  fi
  output=$(run_checker "$dir" 2>&1)
  rc=$?
  if ((rc == 1)) && grep -qF -- "$expected" <<<"$output"; then
    record "$name" 1
    output=$(grep -F -- "$expected" <<<"$output" | head -n 1)
    printf 'ok: %s -> %s\n' "$name" "${output//$dir\//}"
  else
    record "$name" 0 "exit $rc, expected 1 and \"$expected\"; output:"$'\n'"$output"
  fi
}

broken "Service selector typo" "selects no pod" k8s/base/api.yaml \
  $'  selector:\n    app.kubernetes.io/name: affonso\n    app.kubernetes.io/component: api\n  ports:' \
  $'  selector:\n    app.kubernetes.io/name: affonso\n    app.kubernetes.io/component: apl\n  ports:'
broken "PDB selecting both Deployments" "selects pods of several workloads" k8s/base/api.yaml \
  $'  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: affonso\n      app.kubernetes.io/component: api\n' \
  $'  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: affonso\n'
broken "HPA target typo" "scaleTargetRef Deployment/affonso-apl does not exist" k8s/base/api.yaml \
  $'    name: affonso-api\n  # maxReplicas' $'    name: affonso-apl\n  # maxReplicas'
broken "replicas on the autoscaled Deployment" "sets spec.replicas" k8s/base/api.yaml \
  $'  revisionHistoryLimit: 5' $'  replicas: 3\n  revisionHistoryLimit: 5'
broken "unknown setting in the ConfigMap" "DB_POOL_SIZ is not a setting of affonso_server" \
  k8s/base/affonso.env "DB_POOL_SIZE=16" "DB_POOL_SIZ=16"
broken "unknown env var on a container" "env DB_POOL is not a setting of affonso_server" \
  k8s/base/dispatcher.yaml "- name: DB_POOL_SIZE" "- name: DB_POOL"
broken "unknown flag in a command" "ctl has no flag --database-url" k8s/migrate/job.yaml \
  'command: ["ctl", "migrate"]' 'command: ["ctl", "--database-url=x", "migrate"]'
broken "Secret key typo" "has no key DATABASE_URI" k8s/base/api.yaml \
  "key: DATABASE_URL" "key: DATABASE_URI"
broken "partner token secret optional" "its Secret key PARTNER_TOKEN_SECRET is optional" \
  k8s/base/api.yaml "key: PARTNER_TOKEN_SECRET" $'key: PARTNER_TOKEN_SECRET\n                  optional: true'
broken "partner token secret not given to the API" "takes PARTNER_TOKEN_SECRET from no Secret" \
  k8s/base/api.yaml "- name: PARTNER_TOKEN_SECRET" "- name: PARTNER_TOKEN_SECRET_UNUSED"
broken "probe on a port that does not exist" "no port named metric" k8s/base/dispatcher.yaml \
  "port: metrics" "port: metric"
broken "containerPort differs from the setting" "but GRPC_PORT is 50052" \
  k8s/base/affonso.env "GRPC_PORT=50051" "GRPC_PORT=50052"
broken "scrape annotation on the wrong port" "prometheus.io/port 9091" k8s/base/api.yaml \
  'prometheus.io/port: "9090"' 'prometheus.io/port: "9091"'
broken "grace period shorter than drain + grace" "terminationGracePeriodSeconds 15 s" \
  k8s/base/api.yaml "terminationGracePeriodSeconds: 30" "terminationGracePeriodSeconds: 15"
broken "drain delay raised past the grace period" "terminationGracePeriodSeconds 30 s" \
  k8s/base/affonso.env "SHUTDOWN_DRAIN_DELAY_MS=5000" "SHUTDOWN_DRAIN_DELAY_MS=25000"
broken "no resource limits" "no resources.limits.cpu" k8s/base/dispatcher.yaml \
  $'            limits:\n              cpu: "1"\n              memory: 512Mi\n' ""
broken "no readiness probe" "no readinessProbe" k8s/base/dispatcher.yaml \
  "readinessProbe:" "notAReadinessProbe:"
broken "root allowed" "runAsNonRoot is not true" k8s/migrate/job.yaml \
  "runAsNonRoot: true" "runAsNonRoot: false"
broken "writable root filesystem" "readOnlyRootFilesystem is not true" k8s/base/api.yaml \
  "readOnlyRootFilesystem: true" "readOnlyRootFilesystem: false"
broken "another image" "images differ" k8s/base/dispatcher.yaml \
  "image: affonso" "image: affonso-dispatcher"
broken "kustomization lists a missing file" "resource dispatchers.yaml does not exist" \
  k8s/base/kustomization.yaml "  - dispatcher.yaml" "  - dispatchers.yaml"
broken "runtime image lacks a library package" "does not install libpqxx-6.4" Dockerfile \
  "libpq5 libpqxx-6.4" "libpq5"
broken "runtime image installs what nothing loads" "installs curl, which no binary loads" \
  Dockerfile $'       ca-certificates \\\n' $'       ca-certificates curl \\\n'
broken "non-numeric USER" "numeric non-root uid" Dockerfile "USER 10001:10001" "USER affonso"

if [[ -n ${XML_OUTPUT_FILE:-} ]]; then
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n'
    printf '<testsuites><testsuite name="manifests_test" tests="%d" failures="%d">\n' \
      "${#cases[@]}" "$failures"
    printf '%s\n' "${cases[@]}"
    printf '</testsuite></testsuites>\n'
  } >"$XML_OUTPUT_FILE"
fi
printf '\n%d checks, %d failed\n' "${#cases[@]}" "$failures"
((failures == 0))
