-- Which members count as large, fixed when the round is prepared (JSON list of [code, large]),
-- so invitations and warnings use one split even when membership changes. (SQLite also moves
-- its responses to a table without row order; PostgreSQL's heap order is rewritten when a round
-- closes, see crates/store/src/health.rs.)
ALTER TABLE survey_rounds ADD COLUMN size_classes TEXT NOT NULL DEFAULT '[]';
