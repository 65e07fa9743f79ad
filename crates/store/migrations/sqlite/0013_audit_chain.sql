-- A hash chain over the audit log: each entry carries the hash of the entry before it and
-- its own hash over its content and that previous hash, so a changed, removed or inserted
-- entry breaks the chain (`samenspel audit verify`). Entries written before this migration
-- have no hash; the chain starts at the first entry that has one.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
