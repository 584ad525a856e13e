-- Issue 19: a program's onboarding form (/v1/onboarding-form) and each
-- affiliate's answers to it (/v1/affiliates/{id}/onboarding-responses). New
-- tables only (expand-only): team_id leads every key. A program has at most
-- one form; deleting the form deletes its questions, their answers and the
-- completions with it; replacing a form's questions deletes the answers of the
-- questions it drops (docs/BEHAVIOUR.md "Onboarding").
CREATE TABLE onboarding_forms (
  team_id     text NOT NULL REFERENCES teams (id),
  id          text NOT NULL,
  program_id  text NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, id),
  FOREIGN KEY (program_id, team_id) REFERENCES programs (id, team_id)
);
CREATE UNIQUE INDEX onboarding_forms_one_per_program ON onboarding_forms (team_id, program_id);

-- Whether every option of a question is 1 to 200 characters (the service's
-- kMaxOnboardingOptionLength; a CHECK cannot hold the subquery itself).
CREATE FUNCTION onboarding_options_fit(options text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(bool_and(coalesce(char_length(o) BETWEEN 1 AND 200, false)), true)
    FROM unnest(options) AS o
  $$;

-- `position` is the question's index in the list the caller last gave; the
-- form shows its questions by sort_order (the API's `order`), then position.
-- The limits are the service's (storage/onboarding_store.h): a question of 1
-- to 500 characters, at most 20 options of 1 to 200 characters, an order
-- from 0 to 10000.
CREATE TABLE onboarding_questions (
  team_id     text NOT NULL,
  id          text NOT NULL,
  form_id     text NOT NULL,
  position    integer NOT NULL,
  question    text NOT NULL CHECK (char_length(question) BETWEEN 1 AND 500),
  type        text NOT NULL
              CHECK (type IN ('single_choice', 'multiple_choice', 'text_input', 'textarea')),
  is_required boolean NOT NULL DEFAULT false,
  options     text[] NOT NULL DEFAULT '{}'
              CHECK (cardinality(options) <= 20 AND onboarding_options_fit(options)),
  sort_order  integer NOT NULL CHECK (sort_order BETWEEN 0 AND 10000),
  PRIMARY KEY (team_id, id),
  FOREIGN KEY (team_id, form_id) REFERENCES onboarding_forms (team_id, id) ON DELETE CASCADE,
  CHECK ((type IN ('single_choice', 'multiple_choice')) = (cardinality(options) > 0))
);
CREATE INDEX onboarding_questions_form ON onboarding_questions (team_id, form_id, sort_order);

-- One answer per affiliate and question: a JSON string, or an array of
-- strings for a multiple_choice question.
CREATE TABLE onboarding_answers (
  team_id      text NOT NULL,
  affiliate_id text NOT NULL REFERENCES affiliates (id),
  question_id  text NOT NULL,
  answer       jsonb NOT NULL CHECK (jsonb_typeof(answer) IN ('string', 'array')),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, affiliate_id, question_id),
  FOREIGN KEY (team_id, question_id)
    REFERENCES onboarding_questions (team_id, id) ON DELETE CASCADE
);
CREATE INDEX onboarding_answers_question ON onboarding_answers (team_id, question_id);

-- When an affiliate completed a form (mark_complete); kept while the form
-- exists, whatever later edits of its questions.
CREATE TABLE onboarding_completions (
  team_id      text NOT NULL,
  affiliate_id text NOT NULL REFERENCES affiliates (id),
  form_id      text NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, affiliate_id, form_id),
  FOREIGN KEY (team_id, form_id) REFERENCES onboarding_forms (team_id, id) ON DELETE CASCADE
);
CREATE INDEX onboarding_completions_form ON onboarding_completions (team_id, form_id);
