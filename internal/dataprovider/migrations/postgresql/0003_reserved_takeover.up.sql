-- Placeholder for version 3, which the SFTPGo takeover work owns. It
-- exists on this branch only so that version 4 has a predecessor; the
-- takeover's own 0003 migration replaces it at merge.
SELECT 1
