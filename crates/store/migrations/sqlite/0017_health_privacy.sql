-- Responses without a hidden row order: a rowid table keeps the order of sending in its rowid,
-- so the responses move to a WITHOUT ROWID table (ordered by their random key only).
CREATE TABLE survey_responses_unordered (
    id TEXT PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES survey_rounds(id),
    respondent_group TEXT NOT NULL CHECK (respondent_group IN ('gemeenten', 'regio', 'aanbieders')),
    large_member INTEGER,
    answers TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO survey_responses_unordered SELECT id, round_id, respondent_group, large_member, answers FROM survey_responses;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_unordered RENAME TO survey_responses;
CREATE INDEX survey_responses_round ON survey_responses (round_id);

-- Which members count as large, fixed when the round is prepared (JSON list of [code, large]),
-- so invitations and warnings use one split even when membership changes.
ALTER TABLE survey_rounds ADD COLUMN size_classes TEXT NOT NULL DEFAULT '[]';
