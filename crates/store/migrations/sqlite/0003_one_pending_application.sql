-- At most one pending application per provider and lot, guaranteed by the database so that two
-- applications sent at the same moment cannot both be stored.
CREATE UNIQUE INDEX admission_applications_pending ON admission_applications (lot_id, provider_id)
    WHERE status = 'ingediend';
