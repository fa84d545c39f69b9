-- Placeholder for version 3 (see the up migration).
SELECT 1
