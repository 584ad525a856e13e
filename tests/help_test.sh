#!/usr/bin/env bash
# Every flag a binary's main file defines is listed by its --help, with its
# environment variable and default: the operator's one reference.
# Arguments: pairs of BINARY MAIN_SOURCE.
set -uo pipefail
status=0
while (($# >= 2)); do
  binary=$1 source=$2
  shift 2
  help=$("$binary" --help 2>&1)
  for flag in $(sed -n 's/^ABSL_FLAG([^,]*, *\([a-z_0-9]*\),.*/\1/p' "$source"); do
    entry=$(awk -v f="--$flag " '
      index($0, f) { on = 1 } on { text = text $0 } on && /default:/ { print text; exit }' \
      <<<"$help ")
    if [[ -z $entry ]]; then
      echo "FAIL: $binary --help does not list --$flag"; status=1
    elif [[ $flag != undefok && $entry != *"(env "* && $entry != *"env DATABASE_URL"* ]]; then
      echo "FAIL: $binary --help: --$flag names no environment variable: $entry"; status=1
    fi
  done
  count=$(grep -c '^ABSL_FLAG(' "$source")
  ((count > 0)) || { echo "FAIL: no ABSL_FLAG in $source"; status=1; }
  echo "$binary: $count flags checked"
done
exit "$status"
