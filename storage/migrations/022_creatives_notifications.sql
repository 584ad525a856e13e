-- Issue 19: a program's creatives (/v1/program/creatives) and its settings
-- of the notification catalogue (/v1/program/notifications). New tables
-- only (expand-only): team_id leads their keys (docs/OPERATIONS.md,
-- distribution by team). Both go with their program.

-- The lengths are the service's limits (services/api/creative_service.h),
-- repeated here as the invariant.
CREATE TABLE creatives (
  team_id      text NOT NULL REFERENCES teams (id),
  id           text NOT NULL,
  program_id   text NOT NULL,
  name         text CHECK (char_length(name) <= 255),
  description  text CHECK (octet_length(description) <= 2000),
  category     text CHECK (category IN ('brand', 'banner', 'product', 'content', 'video',
                                        'document')),
  subcategory  text CHECK (char_length(subcategory) <= 100),
  url          text CHECK (char_length(url) <= 2048),
  content      text CHECK (octet_length(content) <= 10000),
  tags         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  width        integer CHECK (width BETWEEN 1 AND 100000),
  height       integer CHECK (height BETWEEN 1 AND 100000),
  usage_notes  text CHECK (octet_length(usage_notes) <= 2000),
  restrictions text CHECK (octet_length(restrictions) <= 2000),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE,
  CHECK ((width IS NULL) = (height IS NULL))
);
-- The list: a program's creatives newest first, optionally of one category.
CREATE INDEX creatives_list ON creatives (team_id, program_id, created_at, id);

-- A row exists once the program changed a type's setting; until then the
-- catalogue's defaults apply (services/rules/notification_catalogue). The
-- type ids are the catalogue's: the service checks them, the schema only
-- their form, so the catalogue can grow without a migration.
CREATE TABLE program_notification_settings (
  team_id        text NOT NULL REFERENCES teams (id),
  program_id     text NOT NULL,
  email_type_id  text NOT NULL CHECK (email_type_id ~ '^[a-z_]{1,64}$'),
  id             text NOT NULL,
  is_active      boolean NOT NULL,
  custom_subject text CHECK (char_length(custom_subject) BETWEEN 1 AND 200),
  custom_body    text CHECK (octet_length(custom_body) BETWEEN 1 AND 20000),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, program_id, email_type_id),
  UNIQUE (team_id, id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id) ON DELETE CASCADE
);
