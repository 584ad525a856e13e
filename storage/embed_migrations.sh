#!/bin/sh
# Usage: embed_migrations.sh OUT.cc NNN_name.sql...
# Writes the BuiltinMigrations() table with each file's SQL as a raw string.
set -eu
out=$1; shift
{
  echo '#include "storage/migrations.h"'
  echo 'namespace affonso::storage {'
  echo 'const std::vector<Migration>& BuiltinMigrations() {'
  echo '  static const auto* migrations = new std::vector<Migration>{'
  for f in "$@"; do
    base=$(basename "$f" .sql)
    version=$(echo "$base" | sed 's/_.*//' | sed 's/^0*//')
    name=$(echo "$base" | sed 's/^[0-9]*_//')
    printf '    {%s, "%s", R"affonso_sql(' "$version" "$name"
    cat "$f"
    echo ')affonso_sql"},'
  done
  echo '  };'
  echo '  return *migrations;'
  echo '}'
  echo '}  // namespace affonso::storage'
} > "$out"
