-- PostgreSQL reorders the claim-line key and compares member codes byte by byte from this
-- migration on; SQLite compares both byte by byte already (BINARY). Kept so both trees have the
-- same numbers.
SELECT 1;
