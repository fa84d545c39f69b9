-- Placeholder for version 4, which the defender work owns (IP lists,
-- defender hosts). It exists on this branch only so that version 5 has a
-- predecessor; the defender's own 0004 migration replaces it at merge.
SELECT 1
