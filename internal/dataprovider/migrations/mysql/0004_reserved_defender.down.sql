-- Placeholder for version 4 (see the up migration).
SELECT 1
