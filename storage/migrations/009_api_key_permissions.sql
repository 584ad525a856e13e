-- API-key permissions (issue 15). NULL is every permission: what keys of
-- earlier releases have, and what a previous release's replica creates (it
-- names no such column), so both keep working. A list is the names the
-- methods need (affonso.v1.permission), checked by ctl when it is set; the
-- database keeps only its shape: non-empty, no NULLs.
ALTER TABLE api_keys
  ADD COLUMN permissions text[]
    CHECK (permissions IS NULL
           OR (cardinality(permissions) > 0 AND array_position(permissions, NULL) IS NULL));
