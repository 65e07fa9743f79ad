-- Where the audit hash chain begins: entries up to this id were written before the chain existed
-- and may lack a hash; a later entry without one is a break (someone removed its hash).
CREATE TABLE audit_chain_start (last_unchained_id BIGINT NOT NULL);
INSERT INTO audit_chain_start (last_unchained_id)
    SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE hash IS NULL;
