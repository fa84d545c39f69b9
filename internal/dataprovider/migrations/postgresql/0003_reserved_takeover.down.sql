-- Version 3 changes nothing: it was set aside for the SFTPGo takeover,
-- which needed no schema change of ours in the end (see takeover.go).
SELECT 1
