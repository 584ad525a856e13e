-- Every program has its fraud rules row (new programs get it when created),
-- so a conversion always reads the program's real rules, never a fallback.
INSERT INTO program_fraud_rules (program_id) SELECT id FROM programs ON CONFLICT DO NOTHING;
